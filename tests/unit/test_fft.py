"""FFTs IREE cannot lower, as DFTs by matrix products (webtensor-expand-fft),
against numpy's FFT.

IREE 3.13 lowers an FFT only in f32 along one power-of-two dimension; plain
IREE demotes f64 ones to f32. These tests hold the DFT to f64 accuracy for
complex<f64> and f64 FFTs of all four kinds, other lengths and several
dimensions, on the CPU and on the vulkan device (where IREE's own FFT does
not compile, so every FFT is a DFT).
"""

import numpy as np
import pytest

import webtensor
from webtensor.dialects import profile
from webtensor.passes import expand_fft
from webtensor.tests.hostile.runner import TARGET_FLAGS

# (kind, transformed lengths, batch dims).
CASES = [
    ("FFT", (1,), (3,)),
    ("FFT", (17,), (3,)),
    ("IFFT", (16,), (2,)),
    ("RFFT", (17,), (2,)),
    ("RFFT", (2,), ()),
    ("IRFFT", (33,), (2,)),
    ("IRFFT", (16,), (3,)),
    ("FFT", (6, 10), (2,)),
    ("IFFT", (3, 4, 5), ()),
    ("RFFT", (4, 9), (2,)),
    ("IRFFT", (3, 5, 8), ()),
]


def _tensor(shape, element: str) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


def fft_case(kind: str, lengths: tuple, batch: tuple, part: str, rng):
    """A one-op module, its input and numpy's result (computed in f64)."""
    complex_name = f"complex<{part}>"
    real_dtype, complex_dtype = (np.float64, np.complex128) if part == "f64" else (np.float32, np.complex64)
    axes = tuple(range(-len(lengths), 0))
    full = batch + lengths
    half = batch + lengths[:-1] + (lengths[-1] // 2 + 1,)
    if kind == "RFFT":
        x = rng.standard_normal(full).astype(real_dtype)
        operand, result = _tensor(full, part), _tensor(half, complex_name)
        want = np.fft.rfftn(x.astype(np.float64), axes=axes)
    else:
        shape = half if kind == "IRFFT" else full
        x = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(complex_dtype)
        operand = _tensor(shape, complex_name)
        if kind == "IRFFT":
            result = _tensor(full, part)
            want = np.fft.irfftn(x.astype(np.complex128), s=lengths, axes=axes)
        else:
            result = operand
            transform = np.fft.fftn if kind == "FFT" else np.fft.ifftn
            want = transform(x.astype(np.complex128), axes=axes)
    source = (
        f"func.func @main(%x: {operand}) -> {result} {{\n"
        f"  %0 = stablehlo.fft %x, type = {kind}, length = {list(lengths)} : ({operand}) -> {result}\n"
        f"  return %0 : {result}\n}}\n"
    )
    return source, x, want


def relative_error(actual: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(actual - want), initial=0.0) / max(np.max(np.abs(want), initial=0.0), 1e-300))


@pytest.mark.parametrize("kind, lengths, batch", CASES)
def test_f64_ffts_match_numpy_in_f64(kind, lengths, batch):
    rng = np.random.default_rng(len(lengths) * 100 + lengths[-1])
    source, x, want = fft_case(kind, lengths, batch, "f64", rng)
    actual = np.asarray(webtensor.compile(source, cache=False)(x))
    assert actual.dtype == (np.float64 if kind == "IRFFT" else np.complex128)
    assert actual.shape == want.shape
    # A few ULP of the largest output: an f32 (demoted) result is 1e-7 off.
    assert relative_error(actual, want) < 2e-15


@pytest.mark.parametrize("kind, lengths, batch", [c for c in CASES if c[1] != (16,)])
def test_f32_ffts_iree_cannot_lower_match_numpy(kind, lengths, batch):
    rng = np.random.default_rng(7)
    source, x, want = fft_case(kind, lengths, batch, "f32", rng)
    actual = np.asarray(webtensor.compile(source, cache=False)(x))
    assert actual.dtype == (np.float32 if kind == "IRFFT" else np.complex64)
    assert relative_error(actual, want) < 1e-6


def test_irfft_ignores_the_imaginary_parts_that_have_no_conjugate():
    # X[0] and X[N/2] stand for themselves: their imaginary parts would make
    # the result complex, and the spec's (numpy's) real inverse drops them.
    source, x, _ = fft_case("IRFFT", (8,), (1,), "f64", np.random.default_rng(1))
    model = webtensor.compile(source, cache=False)
    shifted = x.copy()
    shifted[:, 0] += 5j
    shifted[:, -1] -= 3j
    np.testing.assert_array_equal(np.asarray(model(shifted)), np.asarray(model(x)))


def test_twiddles_are_exact_at_quarter_turns_and_accurate_for_long_lengths():
    cos, sin = expand_fft.twiddles(8, 8, 8)
    quarter = (np.arange(8)[:, None] * np.arange(8)[None, :]) % 2 == 0
    assert set(np.unique(cos[quarter])) <= {-1.0, 0.0, 1.0}
    assert set(np.unique(sin[quarter])) <= {-1.0, 0.0, 1.0}
    assert not np.signbit(cos[cos == 0]).any() and not np.signbit(sin[sin == 0]).any()
    # For a long length, each twiddle within half an ULP or so of the true
    # value (mpmath at 100 bits), as if 2 pi jk / n were computed exactly.
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 100
    n = profile.MAX_DFT_LENGTH - 1
    cos, sin = expand_fft.twiddles(n, n, n)
    rows = np.random.default_rng(0).integers(0, n, 40)
    for j in rows:
        for k in rows:
            turn = 2 * mpmath.pi * (int(j) * int(k) % n) / n
            for got, true in ((cos[j, k], mpmath.cos(turn)), (sin[j, k], mpmath.sin(turn))):
                assert abs(got - true) <= 0.6 * np.spacing(abs(float(true))) + 1e-300, (j, k)


def test_ffts_beyond_the_dft_length_are_refused_with_the_reason():
    n = profile.MAX_DFT_LENGTH + 1
    source, _, _ = fft_case("FFT", (n,), (), "f64", np.random.default_rng(0))
    with pytest.raises(webtensor.CompileError) as caught:
        webtensor.compile(source, cache=False)
    assert f"an fft of length [{n}] is not in the profile" in str(caught.value)
    assert f"of lengths up to {profile.MAX_DFT_LENGTH}" in str(caught.value)


@pytest.mark.parametrize("part", ["f64", "f32"])
def test_ffts_on_the_vulkan_device(need_device, part):
    # IREE's own FFT does not compile for vulkan-spirv (an i64 it cannot
    # emulate), so there every FFT is a DFT, f32 power-of-two ones too; f64
    # with lavapipe's features (IREE's default Vulkan target has no f64).
    need_device("vulkan")
    rng = np.random.default_rng(3)
    tolerance = 2e-15 if part == "f64" else 1e-6
    for kind, lengths, batch in [("FFT", (16,), (2,)), ("RFFT", (17,), (2,)), ("IRFFT", (3, 8), (2,))]:
        source, x, want = fft_case(kind, lengths, batch, part, rng)
        model = webtensor.compile(source, target="vulkan-spirv", cache=False, iree_flags=TARGET_FLAGS["vulkan-spirv"])
        assert relative_error(np.asarray(model(x)), want) < tolerance, kind
