"""Differential tests: compiled models against jax.jit on the CPU.

Each model is compiled once from JAX (weights as an argument) and run on
fresh random inputs; results must match jax.jit within float tolerance.
"""

import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import webtensor
from webtensor.bench.models import MODELS

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module", params=sorted(MODELS))
def compiled(request):
    model = MODELS[request.param]
    params = model.example_args(seed=0)[0]
    return model, params, webtensor.compile(model.fn, *model.example_args(seed=0))


@pytest.mark.parametrize("seed", [1, 2])
def test_matches_jax(compiled, seed):
    model, params, module = compiled
    inputs = model.make_inputs(np.random.default_rng(seed))
    got = module(params, *inputs)
    want = jax.jit(model.fn)(params, *inputs)
    jax.tree_util.tree_map(
        lambda g, w: np.testing.assert_allclose(g, np.asarray(w), rtol=model.rtol, atol=model.atol), got, want
    )


def test_params_are_arguments_not_constants(compiled):
    model, params, module = compiled
    weights = jax.tree_util.tree_leaves(params)
    assert len(module.signature.inputs) == len(weights) + len(model.make_inputs(np.random.default_rng(0)))
    # Different weights, same compiled module: the weights really are inputs.
    scaled = jax.tree_util.tree_map(lambda w: w * np.float32(0.5), params)
    inputs = model.make_inputs(np.random.default_rng(3))
    got = module(scaled, *inputs)
    want = jax.jit(model.fn)(scaled, *inputs)
    jax.tree_util.tree_map(
        lambda g, w: np.testing.assert_allclose(g, np.asarray(w), rtol=model.rtol, atol=model.atol), got, want
    )


def _run(*args, cwd):
    result = subprocess.run(list(args), capture_output=True, text=True, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def test_mlp_from_the_command_line(tmp_path):
    sys.path.insert(0, str(EXAMPLES))
    try:
        import mlp
    finally:
        sys.path.pop(0)
    params, x = mlp.example_args()
    x = np.random.default_rng(5).standard_normal(x.shape).astype(np.float32)
    _run(_tool("webtensor-compile"), f"{EXAMPLES}/mlp.py:predict", "-o", "mlp.vmfb", cwd=tmp_path)
    inputs = []
    for name in ("b1", "b2", "w1", "w2"):  # the signature's order: sorted keys, then x
        np.save(tmp_path / f"{name}.npy", params[name])
        inputs.append(f"--input=@{name}.npy")
    np.save(tmp_path / "x.npy", x)
    out = _run(_tool("webtensor-run"), "mlp.vmfb", *inputs, "--input=@x.npy", "--output=@y.npy", cwd=tmp_path)
    assert out.strip() == "EXEC @main"
    want = jax.jit(mlp.predict)(params, x)
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), want, rtol=1e-5, atol=1e-6)


def test_mlir_file_from_the_command_line(tmp_path):
    x = np.random.default_rng(6).standard_normal((2, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    _run(_tool("webtensor-compile"), str(EXAMPLES / "softmax.mlir"), "-o", "softmax.vmfb", cwd=tmp_path)
    _run(_tool("webtensor-run"), "softmax.vmfb", "--input=@x.npy", "--output=@y.npy", cwd=tmp_path)
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), jax.nn.softmax(x, axis=1), rtol=1e-6, atol=1e-7)
    # And from Python, on the same file.
    np.testing.assert_allclose(webtensor.compile(EXAMPLES / "softmax.mlir")(x), jax.nn.softmax(x, axis=1), rtol=1e-6, atol=1e-7)


def test_softmax_over_long_rows_with_special_values_matches_jax():
    # webtensor-cpu-softmax rewrites x - max(x) on llvm-cpu; rows with an
    # infinity, a NaN and nothing but -inf must still give jax's values.
    x = np.random.default_rng(0).standard_normal((4, 1500)).astype(np.float32)
    x[1, 7], x[2], x[3, 3] = np.inf, -np.inf, np.nan
    softmax = lambda x: jax.nn.softmax(x, axis=-1)  # noqa: E731
    got = webtensor.compile(softmax, x)(x)
    np.testing.assert_allclose(got, jax.jit(softmax)(x), rtol=1e-6, atol=1e-7, equal_nan=True)
