"""WebTensor against ONNX Runtime Web in headless Chromium, one thread each.

    WEBTENSOR_PLAYWRIGHT=DIR python -m webtensor.web.bench_browser

DIR's node_modules holds playwright-core and onnxruntime-web (npm install
--prefix DIR playwright-core onnxruntime-web). Each model is written twice: a
wasm32 artifact (from JAX) and an ONNX graph; both take the weights as
inputs, since the web runtime does not bind weights yet, so every call
copies them in on both sides. examples/web/bench.html runs
both on the same inputs in one page, checks that they agree, and times the
median call. Prints a table; asserts nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .serve import serve

WEB = Path(__file__).parent
REPEAT = 30


def _onnx_model(nodes, inputs, output, initializers):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        nodes,
        "bench",
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape)) for name, shape in inputs],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
        [numpy_helper.from_array(value, name) for name, value in initializers.items()],
    )
    # IR version 9 (onnx 1.15): ORT Web 1.31 reads up to 13, onnx 1.23 writes 14.
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9).SerializeToString()


def _cases():
    """(name, jax function of the inputs, input shapes, ONNX bytes)."""
    import jax
    import jax.numpy as jnp
    from onnx import helper

    yield "matmul 128x128x128", (lambda a, b: jnp.matmul(a, b)), [(128, 128), (128, 128)], _onnx_model(
        [helper.make_node("MatMul", ["a", "b"], ["y"])], [("a", (128, 128)), ("b", (128, 128))], "y", {}
    )
    sizes = (64, 128, 128, 10)
    for batch in (8, 128):
        nodes, last, shapes = [], "x", [("x", (batch, 64))]
        for i in (1, 2, 3):
            shapes += [(f"w{i}", sizes[i - 1 : i + 1]), (f"b{i}", (sizes[i],))]
            nodes.append(helper.make_node("MatMul", [last, f"w{i}"], [f"m{i}"]))
            nodes.append(helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"]))
            last = f"a{i}"
            if i < 3:
                nodes.append(helper.make_node("Relu", [last], [f"r{i}"]))
                last = f"r{i}"

        def mlp(x, w1, b1, w2, b2, w3, b3):
            h = jax.nn.relu(x @ w1 + b1)
            h = jax.nn.relu(h @ w2 + b2)
            return h @ w3 + b3

        yield f"mlp 64-128-128-10, batch {batch}", mlp, [shape for _, shape in shapes], _onnx_model(nodes, shapes, last, {})


def main() -> None:
    from ..compiler.api import compile_artifact, import_source
    from ..compiler.options import CompileOptions

    playwright = Path(os.environ["WEBTENSOR_PLAYWRIGHT"])
    with tempfile.TemporaryDirectory(prefix="webtensor-bench-") as folder:
        root = Path(folder)
        (root / "web").symlink_to(WEB)
        (root / "examples").symlink_to(WEB.parent / "examples")
        (root / "ort").symlink_to(playwright / "node_modules" / "onnxruntime-web" / "dist")
        cases = []
        for i, (name, fn, shapes, onnx_bytes) in enumerate(_cases()):
            args = tuple(np.zeros(shape, np.float32) for shape in shapes)
            (root / f"m{i}.vmfb").write_bytes(compile_artifact(import_source(fn, args), CompileOptions(target="wasm32")))
            (root / f"m{i}.onnx").write_bytes(onnx_bytes)
            cases.append({"name": name, "vmfb": f"m{i}.vmfb", "onnx": f"m{i}.onnx"})
        (root / "bench.json").write_text(json.dumps({"cases": cases, "repeat": REPEAT}))
        with serve(folder) as base:
            env = {**os.environ, "WEBTENSOR_CHROMIUM": shutil.which("chromium") or "/usr/bin/chromium", "WEBTENSOR_PAGE_TIMEOUT_MS": "600000"}
            done = subprocess.run(
                [shutil.which("node") or "node", str(WEB / "chromium_page.mjs"), f"{base}/examples/web/bench.html", str(root / "bench.png")],
                capture_output=True, text=True, env=env, timeout=900,
            )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["state"] != "done":
        raise SystemExit(f"the bench page failed: {result['status']}; {result['logs']}")
    print(f"{'model':<32} {'webtensor ms':>12} {'ORT Web ms':>11} {'ratio':>6} {'max |diff|':>11}")
    for row in json.loads(result["output"]):
        ratio = row["webtensor_ms"] / row["ort_ms"]
        print(f"{row['name']:<32} {row['webtensor_ms']:>12.3f} {row['ort_ms']:>11.3f} {ratio:>5.2f}x {row['max_difference']:>11.2e}  sums {row['sums']}")


if __name__ == "__main__":
    main()
