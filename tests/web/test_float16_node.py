"""float16 on the wasm32 target (webtensor-wasm-float16): f16 models compiled
for wasm32 and run in Node give jax.jit's f16 results, conversions to and
from f16 give numpy's bits, and llvm-cpu still gives the same results
without the pass."""

import numpy as np
import pytest

import webtensor
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.web.node import run_in_node


def wasm32(fn, *args) -> bytes:
    return compile_artifact(import_source(fn, args), CompileOptions(target="wasm32"))


def llvm_cpu(fn, *args):
    return webtensor.compile(fn, *args, target="llvm-cpu", target_cpu="generic", cache=False)


def halves(rng, shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float16)


def exact_halves(rng, shape):
    """Halves whose sums and products are exact in f16: small integers over 8."""
    return (rng.integers(-64, 64, shape) / 8).astype(np.float16)


def _models():
    import jax
    import jax.numpy as jnp

    return {
        "add": (lambda a, b: a + b, True),
        "multiply": (lambda a, b: a * b, True),
        "exp": (lambda a, b: jnp.exp(a) - b, False),
        "tanh": (lambda a, b: jnp.tanh(a * b), False),
        "matmul": (lambda a, b: a @ b.T, False),
        "sum": (lambda a, b: jnp.sum(a * b, axis=1), False),
        "max": (lambda a, b: jnp.max(a, axis=0) + jnp.min(b, axis=0), False),
        "compare": (lambda a, b: jnp.where(a < b, a, -b), True),
        "softmax": (lambda a, b: jax.nn.softmax(a + b, axis=-1), False),
    }


MODELS = ["add", "multiply", "exp", "tanh", "matmul", "sum", "max", "compare", "softmax"]


def _check(got, want, exact):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype == np.float16
    if exact:
        np.testing.assert_array_equal(got.view(np.uint16), want.view(np.uint16))
    else:
        np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), rtol=4e-3, atol=4e-3)


@pytest.mark.parametrize("name", MODELS)
def test_float16_models_match_jax_in_node(node, name):
    import jax

    fn, exact = _models()[name]
    rng = np.random.default_rng(16)
    a, b = (exact_halves(rng, (4, 8)) for _ in range(2)) if exact else (halves(rng, (4, 8)) for _ in range(2))
    got = run_in_node(wasm32(fn, a, b), [a, b]).outputs[0]
    _check(got, jax.jit(fn)(a, b), exact)


@pytest.mark.parametrize("name", MODELS)
def test_float16_models_match_jax_on_llvm_cpu(name):
    import jax

    fn, exact = _models()[name]
    rng = np.random.default_rng(61)
    a, b = (exact_halves(rng, (4, 8)) for _ in range(2)) if exact else (halves(rng, (4, 8)) for _ in range(2))
    _check(llvm_cpu(fn, a, b)(a, b), jax.jit(fn)(a, b), exact)


def test_the_pass_runs_for_wasm32_only():
    from webtensor.compiler.api import run_phases
    from webtensor.compiler.options import Phase

    a = np.ones(4, np.float16)
    imported = import_source(lambda x: x * x, (a,))
    wasm = run_phases(imported, CompileOptions(target="wasm32"), Phase.LINALG)
    cpu = run_phases(imported, CompileOptions(target="llvm-cpu", target_cpu="generic"), Phase.LINALG)
    assert "arith.mulf" in wasm and "f32" in wasm and "bitcast" in wasm
    assert "f32" not in cpu


# f32 values whose conversion to f16 is an edge case: zeros, the subnormal
# range and its ties, the normal range's ties, the largest half and what
# rounds to it or overflows, infinities and (quiet) NaNs.
NARROWING_EDGES = np.array(
    [
        0.0, -0.0, 1.0, -1.0, 2.0**-24, -(2.0**-24), 2.0**-25, 2.0**-25 * 1.0000001, 3 * 2.0**-25, 5 * 2.0**-25,
        2.0**-26, 2.0**-14, 2.0**-14 * (1 - 2.0**-11), 2.0**-14 - 2.0**-25, 1e-45, -1e-40, 6.1e-5,
        1 + 2.0**-11, 1 + 3 * 2.0**-11, 1 + 2.0**-11 + 2.0**-20, 2049.0, 2051.0, 0.1, -3.14159, 1e4,
        65504.0, 65519.996, 65520.0, -65520.0, 70000.0, 3.4e38, -3.4e38, np.inf, -np.inf, np.nan, -np.nan,
        np.float32(np.uint32(0x7FC12345).view(np.float32)),
    ],
    np.float32,
)


def _all_halves() -> np.ndarray:
    """Every f16 bit pattern but the signalling NaNs (whose quieting differs
    among references)."""
    bits = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    signalling = ((bits & 0x7C00) == 0x7C00) & ((bits & 0x3FF) != 0) & ((bits & 0x200) == 0)
    return bits[~signalling].view(np.float16)


def test_conversions_match_numpy_bit_for_bit_in_node(node):
    import jax.numpy as jnp

    widen = lambda h: h.astype(jnp.float32)  # noqa: E731
    narrow = lambda x: x.astype(jnp.float16)  # noqa: E731
    every_half = _all_halves()
    got = run_in_node(wasm32(widen, every_half), [every_half]).outputs[0]
    np.testing.assert_array_equal(got.view(np.uint32), every_half.astype(np.float32).view(np.uint32))

    rng = np.random.default_rng(5)
    randoms = rng.standard_normal(4096).astype(np.float32) * np.exp2(rng.integers(-30, 20, 4096)).astype(np.float32)
    values = np.concatenate([NARROWING_EDGES, every_half.astype(np.float32), randoms])
    got = run_in_node(wasm32(narrow, values), [values]).outputs[0]
    with np.errstate(over="ignore"):
        want = values.astype(np.float16)
    np.testing.assert_array_equal(got.view(np.uint16), want.view(np.uint16))


def test_f16_to_and_from_other_types_in_node(node):
    import jax.numpy as jnp

    fn = lambda h, i: (h.astype(jnp.int32), i.astype(jnp.float16))  # noqa: E731
    h = np.array([0.0, -2.5, 3.75, 1000.0, -65504.0, 7.5], np.float16)
    i = np.array([0, -3, 2049, 65519, 65520, -100000], np.int32)
    got_int, got_half = run_in_node(wasm32(fn, h, i), [h, i]).outputs
    np.testing.assert_array_equal(got_int, h.astype(np.int32))
    with np.errstate(over="ignore"):
        want_half = i.astype(np.float16)
    np.testing.assert_array_equal(got_half.view(np.uint16), want_half.view(np.uint16))


def test_float16_mlp_with_bound_weights_in_node(node):
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(7)
    params = {"w1": halves(rng, (16, 32), 0.25), "b1": halves(rng, (32,)), "w2": halves(rng, (32, 4), 0.25)}
    x = halves(rng, (3, 16))

    def mlp(params, x):
        return jnp.tanh(x @ params["w1"] + params["b1"]) @ params["w2"]

    artifact = compile_artifact(import_source(mlp, (params, x), weights_argnums=0), CompileOptions(target="wasm32"))
    named = {f"params['{k}']": v for k, v in params.items()}
    got = run_in_node(artifact, [x], weights=named).outputs[0]
    _check(got, jax.jit(mlp)(params, x), exact=False)
