"""stablehlo.power on real floats (webtensor-expand-f64-math), against C's
pow through numpy and against jax.jit.

IREE lowers power to exp(y log x) in the operands' own type: NaN for a
negative base with an integral exponent (the spec and XLA give the signed
power), and f64 results off by up to |y log x| ULP (5 ULP on the
conformance suite's pow_float64_20_30, f16 by 5). The pass computes f64
power through a double-double log, f32 in f64 and f16/bf16 in f32.
"""

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import webtensor

from .test_f64_math import f32_ulps, ulp_difference

SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 2.5, -2.5, np.inf, -np.inf, np.nan, 1e300])


def power(x, y):
    return jnp.power(x, y)


def special_pairs(dtype):
    x, y = np.meshgrid(SPECIAL, SPECIAL)
    with np.errstate(over="ignore"):  # 1e300 is inf in f32
        return x.ravel().astype(dtype), y.ravel().astype(dtype)


def random_pairs(rng, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Ordinary bases and exponents, a quarter of them a negative base with
    an integral exponent, and some results far from 1."""
    x = np.concatenate([rng.uniform(0, 10, n), rng.uniform(-10, 0, n), np.exp(rng.uniform(-30, 30, n)), rng.uniform(0.9, 1.1, n)])
    y = np.concatenate([rng.uniform(-8, 8, n), np.round(rng.uniform(-12, 12, n)), rng.uniform(-8, 8, n), rng.uniform(-500, 500, n)])
    return x, y


def test_f64_power_of_wide_and_subnormal_bases_is_within_2_ulp():
    # Results across the exponent range (|y log x| up to 700, where IREE's
    # own exp(y log x) is hundreds of ULP off), and subnormal bases, which
    # IREE's CPU arithmetic would read as zero: the pass reads them by bits.
    rng = np.random.default_rng(4)
    x = np.concatenate([np.exp(rng.uniform(-700, 700, 1000)), rng.uniform(1e-320, 1e-308, 200), -rng.uniform(1e-320, 1e-308, 50)])
    y = np.concatenate([rng.uniform(-1, 1, 1000), rng.uniform(0.01, 0.9, 200), np.full(50, -0.5)])
    with jax.enable_x64(True):
        model = webtensor.compile(power, x, y, cache=False)
    got = model(x, y)
    with np.errstate(invalid="ignore"):
        exact = np.power(x, y)
    normal = np.abs(exact) >= np.finfo(np.float64).tiny
    ulps = ulp_difference(got, exact)
    worst = int(np.argmax(np.where(normal, ulps, 0)))
    assert ulps[normal].max() <= 2, f"pow({x[worst]!r}, {y[worst]!r}) = {got[worst]!r}, C: {exact[worst]!r}"
    # A negative subnormal to a non-integral power is NaN, not 0^y.
    assert np.isnan(got[-50:]).all()


def test_f64_power_is_within_2_ulp_of_c():
    x, y = random_pairs(np.random.default_rng(3), 1000)
    with jax.enable_x64(True):
        model = webtensor.compile(power, x, y, cache=False)
        jax_result = np.asarray(jax.jit(power)(x, y))
    got = model(x, y)
    exact = np.power(x, y)
    assert got.dtype == np.float64
    ulps = ulp_difference(got, exact)
    worst = int(np.argmax(ulps))
    assert ulps.max() <= 2, f"pow({x[worst]!r}, {y[worst]!r}) = {got[worst]!r}, C: {exact[worst]!r}"
    # A negative base with an integral exponent is the signed power, not NaN.
    negative = slice(1000, 2000)
    assert not np.isnan(got[negative]).any()
    np.testing.assert_allclose(got, jax_result, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_special_values_follow_c(dtype):
    x, y = special_pairs(dtype)
    with jax.enable_x64(dtype == np.float64):
        model = webtensor.compile(power, x, y, cache=False)
    got = model(x, y)
    with np.errstate(all="ignore"):
        exact = np.power(x.astype(np.float64), y.astype(np.float64)).astype(dtype)
    # Zeros, infinities, +-1 and NaN exactly, sign included; the rest (3^-1,
    # 2^0.5) within 2 ULP.
    identical = (got == exact) & (np.signbit(got) == np.signbit(exact)) | np.isnan(got) & np.isnan(exact)
    singular = (exact == 0) | np.isinf(exact) | (np.abs(exact) == 1) | np.isnan(exact)
    close = (ulp_difference(got.astype(np.float64), exact.astype(np.float64)) <= 2 if dtype == np.float64 else f32_ulps(got, exact) <= 1)
    mismatched = np.where(singular, ~identical, ~close)
    cases = [f"pow({a!r}, {b!r}) = {g!r}, C: {e!r}" for a, b, g, e in zip(x[mismatched], y[mismatched], got[mismatched], exact[mismatched])]
    assert not cases, cases[:8]


def test_f32_power_is_within_1_ulp():
    rng = np.random.default_rng(5)
    x, y = random_pairs(rng, 1000)
    x, y = x.astype(np.float32), (y / 8).astype(np.float32)  # results within f32's range
    with jax.enable_x64(False):
        model = webtensor.compile(power, x, y, cache=False)
        jax_result = np.asarray(jax.jit(power)(x, y))
    got = model(x, y)
    with np.errstate(invalid="ignore"):
        rounded = np.power(x.astype(np.float64), y.astype(np.float64)).astype(np.float32)
    normal = np.abs(rounded) >= np.finfo(np.float32).tiny  # IREE flushes f32 subnormals
    ulps = f32_ulps(got, rounded)
    worst = int(np.argmax(np.where(normal, ulps, 0)))
    assert ulps[normal].max() <= 1, f"pow({x[worst]!r}, {y[worst]!r}) = {got[worst]!r}, exact {rounded[worst]!r}"
    # The conformance suite's 3 ULP against XLA.
    assert f32_ulps(got, jax_result)[normal].max() <= 3


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
def test_16_bit_power_is_the_rounded_exact_value(dtype):
    # Negative bases with integral exponents (IREE: NaN in bf16) and results
    # that are f16 subnormals (9.5e-6 in pow_float16_20_30).
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-6, 6, 1500), rng.uniform(0, 0.05, 500)]).astype(dtype)
    y = np.concatenate([np.round(rng.uniform(-4, 4, 750)), rng.uniform(-4, 4, 750), rng.uniform(2, 4, 500)]).astype(dtype)
    with jax.enable_x64(False):
        model = webtensor.compile(power, x, y, cache=False)
    got = model(x, y)
    assert got.dtype == dtype
    with np.errstate(all="ignore"):
        exact = np.power(x.astype(np.float64), y.astype(np.float64))
        rounded = exact.astype(np.float32).astype(dtype)  # f32 -> 16 bits: no double-rounding harm
        difference = np.abs(got.astype(np.float64) - rounded.astype(np.float64))
        one_ulp = np.abs(np.nextafter(rounded, dtype(np.inf)).astype(np.float64) - rounded.astype(np.float64))
    defined = ~np.isnan(rounded) & np.isfinite(rounded)
    worst = int(np.argmax(np.where(defined, difference / one_ulp, 0)))
    assert (difference[defined] <= one_ulp[defined]).all(), f"pow({x[worst]!r}, {y[worst]!r}) = {got[worst]!r}, exact {rounded[worst]!r}"
    assert np.isnan(got[np.isnan(rounded)]).all()
    assert (got[np.isinf(rounded)] == rounded[np.isinf(rounded)]).all()
