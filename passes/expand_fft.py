"""webtensor-expand-fft: FFTs IREE cannot lower, as DFTs by matrix products.

IREE 3.13 lowers `stablehlo.fft` only in f32, along one dimension of a
power-of-two length; an f64 FFT, another length, or a transform over two or
three dimensions fails inside its lowering. Plain IREE gets through f64 ones
only by demoting them to f32; WebTensor computes f64 in f64. This pass
rewrites every other FFT as one discrete Fourier transform per transformed
dimension: a `dot_general` of the operand's real and imaginary parts with
constant cosine and sine matrices (complex<f64> constants are something IREE
cannot make a buffer of), recombined with `stablehlo.complex`. Per the
StableHLO spec:

  FFT     X[k] = sum_n x[n] e^(-2 pi i kn/N), along each transformed dimension.
  IFFT    the same with e^(+2 pi i kn/N), scaled by 1/N.
  RFFT    a real operand; the last dimension keeps the N/2 + 1 outputs that
          determine the rest (X[N-k] = conj X[k]), then FFT along the others.
  IRFFT   IFFT along all but the last dimension, then the real inverse of
          the last from its N/2 + 1 inputs, conj-symmetric by definition: the
          imaginary parts of X[0] (and X[N/2] for even N) do not count.

The matrices are computed in numpy with the index product reduced exactly
(kn mod N, then to a quadrant, so that cos and sin of multiples of pi/2 are
exact 0 and 1) and the angle in long double where the platform has it:
each twiddle is within about half an ULP of the true value, at any length.
A length costs N^2 multiply-adds per output row and two N x N constants, so
the profile takes lengths up to dialects/profile.MAX_DFT_LENGTH (f32 FFTs
IREE lowers, of any length, aside). Those stay IREE's (`iree_fft`), but for
vulkan-spirv, where IREE's FFT does not compile: there every FFT up to that
length is a DFT.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from iree.compiler import ir

from ..dialects import build, profile
from ..dialects.attributes import dense_i64_array, fft_type, i64_array_attr
from ..dialects.types import element_type, is_complex, ranked, tensor_type, with_element_type
from ..dialects.walk import walk
from .base import ModulePass, Report

FFT = "stablehlo.fft"


@dataclasses.dataclass(frozen=True)
class ExpandFft(ModulePass):
    name = "webtensor-expand-fft"
    summary = "Compute FFTs IREE cannot lower (f64, other lengths, several dimensions) as DFTs by matrix products"

    # Leave IREE the FFTs it lowers (off for vulkan-spirv, where its FFT
    # fails to compile: an i64 it cannot emulate).
    iree_fft: bool = True

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module, FFT):
            lengths = dense_i64_array(op, "fft_length")
            if not 1 <= len(lengths) <= 3 or min(lengths) < 1 or max(lengths) > profile.MAX_DFT_LENGTH:
                continue  # IREE's, or outside the profile, which says why
            if self.iree_fft and profile.fft_lowered_by_iree(_part_name(op), lengths):
                continue
            _expand(op, fft_type(op), lengths)


def _part_name(op: ir.Operation) -> str:
    """The real element type the transform computes in: f32 or f64."""
    t = element_type(op.operands[0])
    return str(ir.ComplexType(t).element_type if is_complex(t) else t)


def _expand(op: ir.Operation, kind: str, lengths: tuple[int, ...]) -> None:
    loc = op.location
    x = op.operands[0]
    rank = tensor_type(x).rank
    dims = list(range(rank - len(lengths), rank))
    with ir.InsertionPoint(op):
        if is_complex(element_type(x)):
            part = ir.ComplexType(element_type(x)).element_type
            re = build.unary("real", x, loc=loc, result_type=with_element_type(x, part))
            im = build.unary("imag", x, loc=loc, result_type=with_element_type(x, part))
        else:
            re, im = x, None
        if kind == "RFFT":
            re, im = _transform(re, None, dims[-1], _rfft_matrices(lengths[-1]), loc)
            dims, lengths = dims[:-1], lengths[:-1]
        inverse = kind in ("IFFT", "IRFFT")
        last = (dims[-1], lengths[-1]) if kind == "IRFFT" else None
        if last:
            dims, lengths = dims[:-1], lengths[:-1]
        for dim, n in zip(dims, lengths):
            re, im = _transform(re, im, dim, _dft_matrices(n, inverse), loc)
        if last:
            (result, _) = _transform(re, im, last[0], _irfft_matrices(last[1]), loc, real_only=True)
        else:
            result = build.create("stablehlo.complex", [op.result.type], [re, im], loc=loc).result
        if result.type != op.result.type:
            result = build.create("stablehlo.convert", [op.result.type], [result], loc=loc).result
    build.replace_op(op, [result])


def _transform(re, im, dim: int, matrices: tuple[np.ndarray, np.ndarray], loc, real_only: bool = False):
    """(re + i im) times (P + i Q) along `dim`: re P - im Q and im P + re Q.
    `im` None is a real operand; `real_only` skips the imaginary part."""
    p, q = (_constant(m, element_type(re), loc) for m in matrices)
    real = _along(re, p, dim, loc)
    if im is not None:
        real = build.binary("subtract", real, _along(im, q, dim, loc), loc=loc)
    if real_only:
        return real, None
    imag = _along(re, q, dim, loc)
    if im is not None:
        imag = build.binary("add", _along(im, p, dim, loc), imag, loc=loc)
    return real, imag


def _along(x: ir.Value, matrix: ir.Value, dim: int, loc) -> ir.Value:
    """x's dimension `dim` contracted with the matrix's rows; the matrix's
    columns take its place."""
    t = tensor_type(x)
    rest = [d for d in range(t.rank) if d != dim]
    columns = tensor_type(matrix).shape[1]
    product_type = ranked([t.shape[d] for d in rest] + [columns], t.element_type)
    numbers = ir.Attribute.parse(
        f"#stablehlo.dot<lhs_contracting_dimensions = [{dim}], rhs_contracting_dimensions = [0]>", t.context
    )
    product = build.create(
        "stablehlo.dot_general", [product_type], [x, matrix], {"dot_dimension_numbers": numbers}, loc=loc
    ).result
    if dim == t.rank - 1:
        return product
    # The new dimension is last; put it back at `dim`.
    order = list(range(dim)) + [t.rank - 1] + list(range(dim, t.rank - 1))
    moved = ranked([product_type.shape[d] for d in order], t.element_type)
    return build.create("stablehlo.transpose", [moved], [product], {"permutation": i64_array_attr(order, t.context)}, loc=loc).result


def _constant(matrix: np.ndarray, element: ir.Type, loc) -> ir.Value:
    dtype = np.float64 if str(element) == "f64" else np.float32
    array = np.ascontiguousarray(matrix, dtype=dtype)
    t = ranked(list(array.shape), element)
    attr = ir.DenseElementsAttr.get(array, type=t, context=loc.context)
    return build.create("stablehlo.constant", [t], [], {"value": attr}, loc=loc).result


def twiddles(n: int, inputs: int, outputs: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of 2 pi jk / n for j < inputs (rows), k < outputs
    (columns), each rounded once to f64 from an exact reduction."""
    j = np.arange(inputs, dtype=np.int64)[:, None]
    k = np.arange(outputs, dtype=np.int64)[None, :]
    m = (j * k) % n
    # 2 pi m/n = quadrant * pi/2 + (pi/2) r/n, with r = 4m - quadrant n in [0, n).
    quadrant = (4 * m) // n
    r = 4 * m - quadrant * n
    angle = _half_pi() * r.astype(np.longdouble) / n
    c, s = np.cos(angle), np.sin(angle)
    # + 0.0: no -0.0 from negating a zero.
    cos = np.choose(quadrant, [c, -s, -c, s]).astype(np.float64) + 0.0
    sin = np.choose(quadrant, [s, c, -s, -c]).astype(np.float64) + 0.0
    return cos, sin


def _half_pi() -> np.longdouble:
    """pi/2 to the platform's long double precision (np.pi is an f64;
    1.2246467991473532e-16 is pi - np.pi to f64 precision)."""
    return (np.longdouble(np.pi) + np.longdouble(1.2246467991473532e-16)) / 2


def _dft_matrices(n: int, inverse: bool) -> tuple[np.ndarray, np.ndarray]:
    """P + i Q = e^(-+2 pi i jk/n), over n for the inverse."""
    cos, sin = twiddles(n, n, n)
    if inverse:
        return cos / n, sin / n
    return cos, 0.0 - sin


def _rfft_matrices(n: int) -> tuple[np.ndarray, np.ndarray]:
    cos, sin = twiddles(n, n, n // 2 + 1)
    return cos, 0.0 - sin


def _irfft_matrices(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows k < n/2 + 1, the inputs; x[j] = sum_k w_k Re(X[k] e^(2 pi i jk/n)) / n
    with w_k = 2 for the inputs that stand for their conjugate too."""
    half = n // 2 + 1
    cos, sin = twiddles(n, half, n)
    weight = np.full((half, 1), 2.0)
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    return cos * weight / n, sin * weight / n
