"""The browser benchmark (web/bench_browser.py) on one tiny model: it
compiles it for wasm32 with bound weights, exports it to ONNX, runs both
in headless Chromium and the native one on the CPU, and prints the table
with no note, so both outputs matched jax.jit's. Its times are not checked.

Needs what test_chromium.py needs, plus onnxruntime-web beside
playwright-core and the `bench` extra (jax2onnx)."""

import os
import shutil
from pathlib import Path

import pytest

from webtensor.web import bench_browser


@pytest.fixture
def browser_bench(node, monkeypatch):
    playwright = Path(os.environ.get("WEBTENSOR_PLAYWRIGHT") or "/nonexistent")
    missing = [f"{package} (npm install --prefix DIR {package}; WEBTENSOR_PLAYWRIGHT=DIR)"
               for package in ("playwright-core", "onnxruntime-web") if not (playwright / "node_modules" / package).is_dir()]
    if not (os.environ.get("WEBTENSOR_CHROMIUM") or shutil.which("chromium")):
        missing.append("chromium (apt-get install chromium)")
    try:
        import jax2onnx  # noqa: F401
    except ImportError:
        missing.append("jax2onnx (pip install -e '.[bench]')")
    if missing:
        pytest.skip("no " + " and no ".join(missing))


def test_the_browser_bench_prints_a_row_per_model_and_no_note(browser_bench, capsys):
    bench_browser.main(["--models", "test_mlp,matmul", "--rounds", "1", "--samples", "1"])
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line for line in lines if line.split() and line.split()[0] in ("test_mlp", "matmul")}
    assert rows["test_mlp"].endswith("bound, safetensors; initializers")
    assert rows["matmul"].endswith("inputs; inputs")
    for row in rows.values():
        fields = row.split()
        webtensor_ms, ort_ms, native_ms = float(fields[1]), float(fields[2]), float(fields[4])
        assert webtensor_ms > 0 and ort_ms > 0 and native_ms > 0
    assert not [line for line in lines if line.startswith("NOTE")]


def test_an_unknown_model_is_one_line():
    with pytest.raises(SystemExit, match=r"^no model 'resnet': the models are matmul, mlp_b1, "):
        bench_browser.case("resnet")
