"""WebTensor against ONNX Runtime Web in headless Chromium, one thread each,
and against native llvm-cpu code on one thread.

    WEBTENSOR_PLAYWRIGHT=DIR python -m webtensor.web.bench_browser [--models a,b] [--rounds N] [--samples N]

DIR's node_modules holds playwright-core and onnxruntime-web (npm install
--prefix DIR playwright-core onnxruntime-web); the ONNX export needs the
`bench` extra (jax2onnx: pip install -e '.[bench]').

The models are the native benchmark's (bench/zoo.py), from the same JAX
functions and weights: WebTensor compiles them for wasm32 with
`weights_argnums=0` and the page binds the weights from a safetensors file
at load (`webtensor.load(url, {weights})`); ONNX Runtime Web gets
jax2onnx's export (bench/onnx_models.py), whose weights are the graph's
initializers. The 128^3 matmul has no weights: both sides take both
operands as inputs. web/bench.html checks both sides' outputs against
jax.jit's and times them in turns. Native is the same model compiled for
this machine's CPU with bound weights, called on local-sync (the calling
thread). Each round runs the page once (every model) and then the native
calls; the table gives the medians over all rounds' samples. Prints a
table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .serve import serve

WEB = Path(__file__).parent
# The models of the table unless --models says otherwise (bench/zoo.py's
# names, and "matmul"); tests/web runs a differential one ("test_mlp").
DEFAULT_MODELS = ("matmul", "mlp_b1", "mlp_b64", "cnn_b1", "encoder_b1")
NATIVE_MIN_MS = 20.0


@dataclass
class Case:
    name: str
    description: str
    fn: Callable
    params: Any
    inputs: tuple

    @property
    def has_weights(self) -> bool:
        import jax

        return bool(jax.tree_util.tree_leaves(self.params))


def _matmul(params, a, b):
    return a @ b


def case(name: str) -> Case:
    from ..bench.zoo import BY_NAME

    if name == "matmul":
        rng = np.random.default_rng(0)
        a, b = (rng.standard_normal((128, 128)).astype(np.float32) for _ in range(2))
        return Case("matmul", "128x128 @ 128x128", _matmul, {}, (a, b))
    if name not in BY_NAME:
        raise SystemExit(f"no model {name!r}: the models are matmul, {', '.join(BY_NAME)}")
    zoo = BY_NAME[name]
    fn, params, inputs = zoo.build()
    return Case(name, zoo.description, fn, params, tuple(inputs))


def _write_case(c: Case, index: int, root: Path) -> dict:
    """Writes the case's artifact, weights, ONNX graph, inputs and jax.jit's
    output under root; returns its entry in bench.json."""
    import jax

    from ..bench.onnx_models import _pools_in_two_dims
    from ..bench.zoo import ZooModel
    from ..compiler.api import compile_artifact, import_model
    from ..compiler.options import CompileOptions
    from ..runtime.weights import save_weights

    entry: dict[str, Any] = {"name": c.name}
    if c.has_weights:
        imported, named = import_model(c.fn, (c.params, *c.inputs), 0)
        save_weights(root / f"m{index}.safetensors", named)
        entry["weights"] = f"m{index}.safetensors"
    else:
        imported, _ = import_model(lambda *xs: c.fn(c.params, *xs), c.inputs)
        entry["weights"] = None
    (root / f"m{index}.vmfb").write_bytes(compile_artifact(imported, CompileOptions(target="wasm32")))
    entry["vmfb"] = f"m{index}.vmfb"

    graph = _onnx_graph(ZooModel(c.name, lambda: (c.fn, c.params, c.inputs), c.description))
    _pools_in_two_dims(graph)
    (root / f"m{index}.onnx").write_bytes(graph.SerializeToString())
    entry["onnx"] = f"m{index}.onnx"

    entry["inputs"] = [_write_array(root / f"m{index}_x{i}.bin", x) for i, x in enumerate(c.inputs)]
    (want,) = jax.tree_util.tree_leaves(jax.jit(c.fn)(c.params, *c.inputs))
    want = np.asarray(want)
    entry["reference"] = _write_array(root / f"m{index}_y.bin", want)
    entry["tolerance"] = 1e-3 * max(float(np.max(np.abs(want))), 1.0)
    return entry


def _onnx_graph(zoo):
    """jax2onnx's export, at an IR version ONNX Runtime Web 1.31 reads."""
    from ..bench.onnx_models import export

    graph = export(zoo)[0]
    graph.ir_version = min(graph.ir_version, 10)
    return graph


def _write_array(path: Path, value: np.ndarray) -> dict:
    value = np.ascontiguousarray(value)
    if value.dtype not in (np.float32, np.int32):
        raise SystemExit(f"{path.name}: the bench page takes float32 and int32 tensors, not {value.dtype}")
    path.write_bytes(value.astype(value.dtype.newbyteorder("<")).tobytes())
    return {"url": path.name, "shape": list(value.shape), "dtype": str(value.dtype)}


def _run_page(root: Path, playwright: Path) -> list[dict]:
    with serve(str(root)) as base:
        env = {
            **os.environ,
            "WEBTENSOR_PLAYWRIGHT": str(playwright),
            "WEBTENSOR_CHROMIUM": os.environ.get("WEBTENSOR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium",
            "WEBTENSOR_PAGE_TIMEOUT_MS": "1200000",
        }
        done = subprocess.run(
            [shutil.which("node") or "node", str(WEB / "chromium_page.mjs"), f"{base}/bench.html", str(root / "bench.png")],
            capture_output=True, text=True, env=env, timeout=1500,
        )
    if done.returncode != 0:
        raise SystemExit(f"the bench page did not run: {done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["state"] != "done":
        raise SystemExit(f"the bench page failed: {result['status']}; {result['logs']}")
    return json.loads(result["output"])


class _Native:
    """The model compiled for this machine's CPU (bound weights), called on
    local-sync: one thread, the calling one."""

    def __init__(self, c: Case):
        import webtensor

        if c.has_weights:
            model = webtensor.compile(c.fn, c.params, *c.inputs, weights_argnums=0, target="llvm-cpu", device="local-sync")
        else:
            model = webtensor.compile(lambda *xs: c.fn(c.params, *xs), *c.inputs, target="llvm-cpu", device="local-sync")
        self._entry = model.default
        self._inputs = [np.asarray(x) for x in c.inputs]
        started = time.perf_counter()
        self._entry.call_flat(self._inputs)
        once = max((time.perf_counter() - started) * 1e3, 1e-3)
        self._calls = max(1, min(1000, round(NATIVE_MIN_MS / once)))

    def sample(self) -> float:
        """Milliseconds per call over a block of calls."""
        started = time.perf_counter()
        for _ in range(self._calls):
            self._entry.call_flat(self._inputs)
        return (time.perf_counter() - started) * 1e3 / self._calls


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m webtensor.web.bench_browser", description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated: matmul and bench/zoo.py's names (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="page runs, each followed by the native calls (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=9, help="timed blocks per side, model and round (default: %(default)s)")
    options = parser.parse_args(argv)
    if options.rounds < 1 or options.samples < 1:
        parser.error("--rounds and --samples must be at least 1")
    return options


def main(argv: list[str] | None = None) -> None:
    options = _arguments(argv)
    playwright = Path(os.environ.get("WEBTENSOR_PLAYWRIGHT", ""))
    for package in ("playwright-core", "onnxruntime-web"):
        if not (playwright / "node_modules" / package).is_dir():
            raise SystemExit(f"no {package} in WEBTENSOR_PLAYWRIGHT's node_modules: npm install --prefix DIR {package}; WEBTENSOR_PLAYWRIGHT=DIR")
    cases = [case(name.strip()) for name in options.models.split(",") if name.strip()]
    times: dict[str, dict[str, list[float]]] = {c.name: {"webtensor": [], "ort": [], "native": []} for c in cases}
    with tempfile.TemporaryDirectory(prefix="webtensor-bench-") as folder:
        root = Path(folder)
        (root / "web").symlink_to(WEB)
        (root / "bench.html").symlink_to(WEB / "bench.html")
        (root / "ort").symlink_to(playwright / "node_modules" / "onnxruntime-web" / "dist")
        entries = [_write_case(c, i, root) for i, c in enumerate(cases)]
        (root / "bench.json").write_text(json.dumps({"cases": entries, "samples": options.samples}))
        natives = [_Native(c) for c in cases]
        for _ in range(options.rounds):
            rows = _run_page(root, playwright)
            for row in rows:
                times[row["name"]]["webtensor"] += row["webtensor_ms"]
                times[row["name"]]["ort"] += row["ort_ms"]
            for c, native in zip(cases, natives):
                times[c.name]["native"] += [native.sample() for _ in range(options.samples)]
    _print_table(cases, entries, rows, times, options)


def _print_table(cases, entries, rows, times, options) -> None:
    print(
        f"{options.rounds} rounds x {options.samples} samples per side; medians. "
        f"Headless Chromium, one thread each; native: llvm-cpu on local-sync. Load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores."
    )
    header = f"{'model':<20} {'webtensor ms':>12} {'ORT Web ms':>11} {'/ORT':>6} {'native ms':>10} {'/native':>8}  weights (webtensor; ORT Web)"
    print(header)
    print("-" * len(header))
    notes = []
    for c, entry, row in zip(cases, entries, rows):
        t = {side: statistics.median(samples) for side, samples in times[c.name].items()}
        weights = "bound, safetensors; initializers" if c.has_weights else "inputs; inputs"
        print(
            f"{c.name:<20} {t['webtensor']:>12.3f} {t['ort']:>11.3f} {t['webtensor'] / t['ort']:>5.2f}x "
            f"{t['native']:>10.3f} {t['webtensor'] / t['native']:>7.1f}x  {weights}"
        )
        for side, key in (("webtensor", "webtensor_difference"), ("ORT Web", "ort_difference")):
            difference = row[key] if row[key] is not None else float("inf")
            if difference > entry["tolerance"]:
                notes.append(f"{c.name}: {side}'s output differs from jax.jit's by {difference:.3g} (tolerance {entry['tolerance']:.3g})")
    print("models: " + "; ".join(f"{c.name}: {c.description}" for c in cases))
    for note in notes:
        print("NOTE " + note)


if __name__ == "__main__":
    main()
