"""Rounding to bfloat16 (webtensor-round-bf16), against jax.jit bit for bit.

IREE drops a rounding to bf16 whose result never reaches memory inside a
fused dispatch: without the pass, `x.astype(bfloat16).astype(float16)` of a
float16 x gives x back, and bf16 products keep f32's bits. The values
include ties to even, f16 subnormals, values that round to infinity,
infinities and NaN. f32 subnormals are left out: XLA's CPU flushes them.
"""

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import webtensor
from webtensor.tests.hostile.runner import TARGET_FLAGS

BF16 = ml_dtypes.bfloat16

TIES = [1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8), 1 + 2**-8 + 2**-10, 255.5, 257, 259, 1000.5]
HALF_SPECIALS = [2**-24, 3 * 2**-24, 2**-14 * (1 + 2**-9), 1023 * 2**-24, 65504, 65280, 65408, 0.0, -0.0, np.inf, -np.inf, np.nan]
SINGLE_SPECIALS = [1 + 2**-8 + 2**-20, 3e38, 3.4e38, 65520, 2**-126, 0.0, -0.0, np.inf, -np.inf, np.nan]
DOUBLE_TIES = [1 + 2**-8 + 2**-40, 1 + 2**-8 - 2**-40]
INT_TIES = [257, 259, 511, 513, 32767, -1001, 2**24 + 2**16 + 1, -(2**31), 2**31 - 1]


def conversions(h, s, d, i16, i32, a, b):
    f16, f32, bf16 = jnp.float16, jnp.float32, jnp.bfloat16
    return {
        "f16 -> bf16 -> f16": h.astype(bf16).astype(f16),
        "f32 -> bf16 -> f32 -> f16": s.astype(bf16).astype(f32).astype(f16),
        "f64 -> bf16 -> f16": d.astype(bf16).astype(f16),
        "i16 -> bf16 -> f32": i16.astype(bf16).astype(f32),
        "i32 -> bf16 -> f16": i32.astype(bf16).astype(f16),
        "bf16 a * b + a -> f16": (a * b + a).astype(f16),
        "bf16 a / b - a -> f16": (a / b - a).astype(f16),
    }


def arguments(rng):
    n = 64
    def filled(specials, dtype, scale):
        return np.concatenate([specials, rng.standard_normal(n - len(specials)) * scale]).astype(dtype)
    return (
        filled(TIES + HALF_SPECIALS, np.float16, 100),
        filled(TIES + SINGLE_SPECIALS, np.float32, 1000),
        filled(TIES + DOUBLE_TIES + SINGLE_SPECIALS, np.float64, 1000),
        filled(TIES[4:7] + [511, 513, 32767, -32768, -1001], np.int16, 1000),
        filled(INT_TIES, np.int32, 1e6),
        filled(TIES + [65280, 3e38, np.inf, np.nan, 0.0], BF16, 10),
        filled(TIES[::-1] + [1.0, 2.0, 0.5, -0.0, np.inf], BF16, 10),
    )


def difference(got: np.ndarray, want: np.ndarray, name: str) -> str | None:
    """None where the bits are the same (any NaN for a NaN), else what differs."""
    assert got.dtype == want.dtype, name
    unsigned = {2: np.uint16, 4: np.uint32}[got.itemsize]
    both_nan = np.isnan(got.astype(np.float64)) & np.isnan(want.astype(np.float64))
    wrong = (got.view(unsigned) != want.view(unsigned)) & ~both_nan
    if not wrong.any():
        return None
    return f"{name}: {wrong.sum()} of {got.size} differ: {got[wrong][:4]} (want {want[wrong][:4]})"


@pytest.mark.parametrize("target", ["llvm-cpu", "vulkan-spirv"])
def test_roundings_to_bfloat16_match_jax(target, need_device):
    if target == "vulkan-spirv":
        need_device("vulkan")
    args = arguments(np.random.default_rng(7))
    with jax.enable_x64(True):
        want = {k: np.asarray(v) for k, v in jax.jit(conversions)(*args).items()}
        model = webtensor.compile(conversions, *args, target=target, cache=False, iree_flags=TARGET_FLAGS.get(target, ()))
    got = model(*args)
    differences = [difference(np.asarray(got[name]), expected, name) for name, expected in want.items()]
    assert not any(differences), "\n".join(d for d in differences if d)


def test_bfloat16_products_are_rounded_before_a_convert_to_f32():
    # jax.jit is no oracle here: XLA computes the last bf16 op before a
    # convert to f32 in f32 (its bf16 propagation). Each op rounds to bf16.
    a = np.array(TIES + [3.140625, -7.09375, 1.3671875, 65280], BF16)
    model = webtensor.compile(lambda a: (a * a + a).astype(jnp.float32), a, cache=False)
    square = (a.astype(np.float32) * a.astype(np.float32)).astype(BF16)
    want = (square.astype(np.float32) + a.astype(np.float32)).astype(BF16).astype(np.float32)
    assert difference(np.asarray(model(a)), want, "(a * a + a) -> f32") is None
