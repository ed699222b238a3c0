"""Web runtime speed in Node against native code on one CPU thread.

    python -m webtensor.web.bench

For each model: the median call time of a wasm32 artifact in Node (the JS
API, llvm-cpu wasm side modules, copies in and out included) and of an
llvm-cpu artifact for this machine on local-sync (one thread, the calling
one), with the ratio. Prints a table; asserts nothing.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

REPEAT = 50


def _cases():
    import jax.numpy as jnp

    from ..bench.models import MODELS

    rng = np.random.default_rng(0)
    a = rng.standard_normal((128, 128)).astype(np.float32)
    b = rng.standard_normal((128, 128)).astype(np.float32)
    yield "matmul 128x128x128", (lambda x, y: jnp.matmul(x, y)), (a, b)
    for name in ("mlp", "cnn", "encoder_block"):
        model = MODELS[name]
        yield name, model.fn, model.example_args(rng)


def _native_ms(fn, args) -> float:
    import jax

    import webtensor

    compiled = webtensor.compile(fn, *args, target="llvm-cpu")
    entry = webtensor.load(compiled.artifact.data, device="local-sync").default
    leaves = [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(args)]
    entry.call_flat(leaves)
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        entry.call_flat(leaves)
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times)


def _node_ms(fn, args) -> float:
    import jax

    from ..compiler.api import compile_artifact, import_source
    from ..compiler.options import CompileOptions
    from .node import run_in_node

    artifact = compile_artifact(import_source(fn, args), CompileOptions(target="wasm32"))
    leaves = [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(args)]
    return float(run_in_node(artifact, leaves, repeat=REPEAT).timing["median_ms"])


def main() -> None:
    print(f"{'model':<20} {'node wasm32 ms':>15} {'native 1 thread ms':>19} {'ratio':>7}")
    for name, fn, args in _cases():
        node = _node_ms(fn, args)
        native = _native_ms(fn, args)
        print(f"{name:<20} {node:>15.3f} {native:>19.3f} {node / native:>6.1f}x")


if __name__ == "__main__":
    main()
