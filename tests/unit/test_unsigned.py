"""Unsigned integers through ops whose IREE 3.13 lowerings take only
signless ones (passes/lower_unsigned.py), against jax.jit: cumulative sums,
products, maxima and minima (reduce_window scans) and reverse."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import webtensor


def scans(x):
    return jnp.cumsum(x, axis=0, dtype=x.dtype), jnp.cumprod(x, axis=1, dtype=x.dtype), lax.cummax(x, 0), lax.cummin(x, 1), jnp.flip(x, 1)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64], ids=lambda d: np.dtype(d).name)
def test_unsigned_scans_and_reverse_match_jax(dtype):
    rng = np.random.default_rng(12)
    info = np.iinfo(dtype)
    # Values across the whole range: the top bit set and clear, sums that wrap.
    x = rng.integers(0, info.max, (6, 5), dtype=dtype, endpoint=True)
    x[0, :3] = [0, info.max, 1 << (info.bits - 1)]
    with jax.enable_x64(np.dtype(dtype).itemsize == 8):
        model = webtensor.compile(scans, x)
        text = webtensor.compile_ir(scans, x, phase="legalized")
        got, want = model(x), jax.jit(scans)(x)
    assert "reduce_window" in text and "reverse" in text
    for g, w in zip(got, want):
        assert g.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(g, np.asarray(w))
