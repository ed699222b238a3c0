"""Complex numbers end to end, against jax.jit.

Every complex constant once crashed the compiler worker: IREE 3.13's Python
bindings raise on reading a dense attribute of complex elements, and the
front gate read every attribute (issue 12). The cases are the simplest
programs with complex constants a JAX user writes: add, multiply by a
constant, real and imaginary parts.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import webtensor


def complex_ops(a, b):
    return a + b, a * (2 - 3j), a * 2j + (1 + 0.5j), jnp.real(a), jnp.imag(b)


def draw(dtype, rng, n=7):
    real = rng.standard_normal((2, n)) * 10
    return (real[0] + 1j * real[1]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=lambda d: np.dtype(d).name)
def test_complex_arithmetic_with_constants_matches_jax(dtype):
    rng = np.random.default_rng(12)
    a, b = draw(dtype, rng), draw(dtype, rng)
    with jax.enable_x64(dtype == np.complex128):
        model = webtensor.compile(complex_ops, a, b)
        got = model(a, b)
        want = jax.jit(complex_ops)(a, b)
    rtol = 1e-6 if dtype == np.complex64 else 1e-14
    for g, w in zip(got, want):
        assert g.dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, np.asarray(w), rtol=rtol, atol=rtol)


def test_the_issue_repro_compiles():
    model = webtensor.compile(lambda a: a * 2j, np.ones(3, np.complex64))
    np.testing.assert_array_equal(model(np.array([1 + 1j, 2, -3j], np.complex64)), [-2 + 2j, 4j, 6])
