"""The demo page (examples/web/index.html) in headless Chromium: it loads a
wasm32 artifact in a Web Worker, runs it, and shows jax.jit's numbers.

Needs Debian's chromium and playwright-core (npm) in the folder that
WEBTENSOR_PLAYWRIGHT names; without them the test skips, unless
WEBTENSOR_REQUIRE_CHROMIUM=1 (CI), which makes absence a failure.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import webtensor
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.bench.models import MODELS
from webtensor.web.chromium import run_in_chromium
from webtensor.web.serve import serve

REPO = Path(webtensor.__file__).parent
PAGE_DRIVER = REPO / "web" / "chromium_page.mjs"
REQUIRE_CHROMIUM = "WEBTENSOR_REQUIRE_CHROMIUM"


@pytest.fixture
def chromium(node, monkeypatch):
    browser = os.environ.get("WEBTENSOR_CHROMIUM") or shutil.which("chromium")
    playwright = os.environ.get("WEBTENSOR_PLAYWRIGHT")
    missing = []
    if not browser:
        missing.append("chromium (apt-get install chromium)")
    if not playwright or not (Path(playwright) / "node_modules" / "playwright-core").is_dir():
        missing.append("playwright-core (npm install --prefix DIR playwright-core; WEBTENSOR_PLAYWRIGHT=DIR)")
    if not missing:
        monkeypatch.setenv("WEBTENSOR_CHROMIUM", browser)
        return node, browser, playwright
    reason = "no " + " and no ".join(missing)
    if os.environ.get(REQUIRE_CHROMIUM) == "1":
        pytest.fail(f"{reason}; {REQUIRE_CHROMIUM}=1 requires them", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def site(tmp_path):
    """An HTTP server over a folder with the repository's web/ and
    examples/ and the test's artifacts; yields (folder, base URL)."""
    for name in ("web", "examples"):
        (tmp_path / name).symlink_to(REPO / name)
    with serve(str(tmp_path)) as base:
        yield tmp_path, base


def _open(chromium, url: str, screenshot: Path) -> dict:
    node, browser, playwright = chromium
    env = {**os.environ, "WEBTENSOR_CHROMIUM": browser, "WEBTENSOR_PLAYWRIGHT": playwright}
    done = subprocess.run([node, str(PAGE_DRIVER), url, str(screenshot)], capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_demo_page_runs_an_mlp_like_jax(chromium, site):
    import jax
    import jax.numpy as jnp

    folder, base = site
    rng = np.random.default_rng(5)
    w = rng.standard_normal((8, 4)).astype(np.float32)

    def model(x):
        return jax.nn.softmax(jnp.tanh(x @ w), axis=-1)

    x = np.zeros((3, 8), np.float32)
    (folder / "model.vmfb").write_bytes(compile_artifact(import_source(model, (x,)), CompileOptions(target="wasm32")))
    result = _open(chromium, f"{base}/examples/web/index.html?model=/model.vmfb", folder / "demo.png")
    assert result["state"] == "done", result
    [output] = json.loads(result["output"])
    # The page's inputs: sin(i + 1) * 2 in row-major order.
    page_x = (np.sin(np.arange(24) + 1) * 2).astype(np.float32).reshape(3, 8)
    np.testing.assert_allclose(np.array(output["data"], np.float32).reshape(output["shape"]), model(page_x), rtol=1e-5, atol=1e-6)
    assert (folder / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_demo_page_shows_a_typed_error(chromium, site):
    folder, base = site
    (folder / "junk.vmfb").write_bytes(b"not an artifact at all")
    result = _open(chromium, f"{base}/examples/web/index.html?model=/junk.vmfb", folder / "error.png")
    assert result["state"] == "error"
    assert result["status"] == "InvalidEncoding: not a WebTensor artifact: expected an IREE .vmfb from webtensor-compile --target=wasm32"


@pytest.mark.parametrize("name", ["mlp", "encoder_block"])
def test_models_match_jax_in_chromium(chromium, name):
    import jax

    model = MODELS[name]
    params, *rest = model.example_args(np.random.default_rng(17))
    artifact = compile_artifact(import_source(model.fn, (params, *rest)), CompileOptions(target="wasm32"))
    leaves = [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves((params, *rest))]
    [got] = run_in_chromium(artifact, leaves)
    np.testing.assert_allclose(got, np.asarray(jax.jit(model.fn)(params, *rest)), rtol=model.rtol, atol=model.atol)


def test_webtensor_run_runs_a_web_artifact_in_chromium(chromium, tmp_path, capsys):
    from webtensor.tools import run

    text = """
    func.func @main(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
      %0 = stablehlo.divide %a, %b : tensor<3xi32>
      return %0 : tensor<3xi32>
    }"""
    path = tmp_path / "div.vmfb"
    path.write_bytes(compile_artifact(import_source(text), CompileOptions(target="wasm32")))
    # The sandbox's defined values: x / 0 = -1, INT_MIN / -1 = INT_MIN.
    assert run.main([str(path), "--device=chromium", "--input=3xi32=7,5,-2147483648", "--input=3xi32=2,0,-1"]) == 0
    assert capsys.readouterr().out == "EXEC @main\nresult[0]: hal.buffer_view\n3xi32=[3 -1 -2147483648]\n"


def test_bound_weights_from_a_package_in_chromium(chromium, tmp_path):
    # A model compiled with bound weights, in a Web Worker: the page fetches
    # the package, checks its hashes and binds its weights by name.
    import jax

    from webtensor.bench.models import mlp, mlp_params

    params = mlp_params(np.random.default_rng(18), (16, 32, 32, 4))
    x = np.random.default_rng(19).standard_normal((3, 16)).astype(np.float32)
    webtensor.export(mlp, params, x, weights_argnums=0).save(tmp_path / "mlp.wtpkg")
    artifact = compile_artifact(import_source(str(tmp_path / "mlp.wtpkg")), CompileOptions(target="wasm32"))
    [got] = run_in_chromium(artifact, [x], weights=tmp_path / "mlp.wtpkg")
    np.testing.assert_allclose(got, np.asarray(jax.jit(mlp)(params, x)), rtol=1e-5, atol=1e-5)


def test_a_deadline_stops_the_web_worker(chromium):
    # The loop would run for ages; at the deadline the page's worker is
    # terminated and the call rejects with Timeout.
    from webtensor.bench.models import SQUARING_LOOP

    forever = 1 << 62
    artifact = compile_artifact(import_source(SQUARING_LOOP), CompileOptions(target="wasm32"))
    with pytest.raises(webtensor.Timeout, match="did not finish within its deadline of 0.5 s in its worker"):
        run_in_chromium(artifact, [np.int64(forever), np.ones(4, np.float32)], fuel=forever, deadline=0.5)
