"""webtensor-expand-f64-math: f64 and complex<f64> transcendental functions
as f64 arithmetic.

IREE 3.13 links no f64 `sin`, `cos`, `tanh`, `atan2` or `fmod` into a CPU
executable and cannot lower an f64 `cbrt` at all, so a module that uses one
fails to compile. Plain IREE hides this by demoting every f64 to f32;
WebTensor never demotes silently. This pass rewrites those ops on f64 into
ops IREE lowers (add, multiply, divide, floor, compare, select,
bitcast_convert, exponential, log, sqrt), computed in f64 throughout:

  sine, cosine, tan  Cody-Waite reduction by pi/2 in four parts, with k split
                     in two so that every k * part is exact, then Taylor
                     kernels on |r| <= pi/4 with the reduction's rounding
                     error carried as a tail. Within 1 ULP (tan 2) of the
                     true value for |x| below about 1e8; up to 1.4e16
                     (2^53 pi/2) within about 1e-17 absolute (a few ULP, up
                     to about 140 where the result is near 0). Beyond, where
                     the reduction would need more bits of pi (Payne-Hanek,
                     not done), the result is NaN rather than a wrong
                     number. inf and NaN give NaN.
  atan2              atan of min(|x|,|y|)/max(|x|,|y|) in [0, 1] through a
                     table of atan(j/8) in two parts and a Taylor kernel on
                     |u| <= 1/16, then the octant and quadrant in
                     double-double; every IEEE special case (signed zeros,
                     infinities, NaN) as C's atan2.
  cbrt               the exponent split off by bits, Newton steps on a
                     mantissa in [1, 8), the exponent put back exactly.
  tanh               its Taylor series below 0.55, 1 - 2 / (e^2|x| + 1) above.
  expm1, log1p       IREE compiles these in f64 but gets them about 1e-8
                     wrong; expm1 by reduction to |r| <= ln2/2 and a Taylor
                     kernel, log1p by 2 atanh(x / (2 + x)) near 0.
  power              C's pow (the spec's): a negative base with an integral
                     exponent gives the signed power, not IREE's NaN.
                     exp(y log|x|) with log|x| a double-double (read from
                     x's bits, so subnormals too), the product y log|x|
                     exact, and exp(hi + lo) = exp(hi)(1 + lo): within 2
                     ULP where IREE's own is off by |y log x| ULP.
  complex<f64>       exponential, expm1, log, log1p, sqrt, rsqrt, logistic,
                     sine, cosine, tan, tanh: f64 arithmetic on the real and
                     imaginary parts (IREE lowers these to real sin, cos and
                     atan2 it cannot link), with formulas that avoid spurious
                     overflow and cancellation (hypot-style scaling, Kahan's
                     tanh). exp, sin and cos are within 3 ULP per part;
                     parts that cancel (Re log near |z| = 1, Re expm1, tan
                     and tanh near their poles) within about 1e-15 of |z|.
                     Infinite parts do not all follow C99's Annex G.

For vulkan-spirv (`spirv`), where IREE has no f64 log or exp (SPIR-V's
GLSL functions stop at f32) and no f64 <-> i64 bitcast (its 64-bit integers
are emulated; its f64 round_nearest_even uses one), f64 log, exponential
and round_nearest_even, the user's and the expansions' own, are f64
arithmetic too: log's exponent found by compares and exact scaling with
powers of two, exp's 2^k built from them (each within 1 ULP), rounding from
floor (exact); expm1's 2^k the same way. Signs (atan2's quadrant, copysign)
are compares on every target, -0.0 told apart by 1/x < 0. cbrt and power
still read bits, so they do not compile for vulkan-spirv in f64.

Measured against the C library on 4000 random arguments: sin, cos, cbrt
within 1 ULP, tan, tanh, atan2, expm1, log1p within 2. IREE's CPU code
flushes subnormal operands of float arithmetic to zero; cbrt works on bits
to escape it, the others return a subnormal x itself where f(x) rounds to x,
and atan2 gives 0 where the true result is subnormal.

f64 remainder (C's fmod, exact) is not expanded: exactness in f64
arithmetic takes a long division of up to about 2000 steps, so it stays
outside the profile. IREE's own f32 sine, cosine, tan, atan2 and cbrt are about 1e-7 off in
absolute terms (its sin and cos by tens of ULP on a third of N(0, 10)
arguments, cbrt and atan2 by up to 12 and 41): with `f32` on (the
pipeline's choice for llvm-cpu) they go through the same f64 code, with shorter series, and are rounded
once, within 1 ULP; an f32 sin, cos or tan beyond 2^53 pi/2 keeps IREE's
value. So do complex<f32> exponential, expm1 and log1p (IREE's exp parts
up to 8 ULP off, its expm1 and log1p real parts lost to cancellation; these
within 2). f32 power goes through f64 too (IREE's up to 4 ULP off),
f16 and bf16 power through f32 (IREE's f16 5 ULP off, its bf16 NaN for a
negative base with an integral exponent; f32 is plenty, and IREE would
flush an f64 -> f16 subnormal result to zero), each rounded once. f32 subnormal operands count as zero, as everywhere in
IREE's CPU code. Ops of other element types are left alone. The pass runs at the end of
legalization, before the sandbox prices ops, so the work budget pays for the
expanded arithmetic.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Callable

from iree.compiler import ir

from ..dialects import build
from ..dialects.types import element_type, with_element_type
from ..dialects.walk import walk
from .base import ModulePass, Report

# pi/2 in four parts: the first three have 26 significant bits, so k * part
# is exact for |k| < 2^27; the sum matches pi/2 to about 2^-134.
PIO2_PARTS = tuple(
    float.fromhex(h)
    for h in ("0x1.921fb58000000p+0", "-0x1.dde9740000000p-27", "0x1.1a62630000000p-54", "0x1.8a2e03707344ap-81")
)
TWO_OVER_PI = float.fromhex("0x1.45f306dc9c883p-1")
# pi/2 and pi as double-doubles (hi, lo).
PIO2 = (float.fromhex("0x1.921fb54442d18p+0"), float.fromhex("0x1.1a62633145c07p-54"))
PI = (float.fromhex("0x1.921fb54442d18p+1"), float.fromhex("0x1.1a62633145c07p-53"))
# atan(j/8), j = 0..8, as double-doubles; checked against mpmath by
# tests/unit/test_f64_math.py.
ATAN_TABLE = tuple(
    (float.fromhex(hi), float.fromhex(lo))
    for hi, lo in (
        ("0x0.0p+0", "0x0.0p+0"),
        ("0x1.fd5ba9aac2f6ep-4", "-0x1.cd37686760c17p-59"),
        ("0x1.f5b75f92c80ddp-3", "0x1.8ab6e3cf7afbdp-57"),
        ("0x1.6f61941e4def1p-2", "-0x1.c63aae6f6e918p-56"),
        ("0x1.dac670561bb4fp-2", "0x1.a2b7f222f65e2p-56"),
        ("0x1.1e00babdefeb4p-1", "-0x1.928df287a668fp-58"),
        ("0x1.4978fa3269ee1p-1", "0x1.2419a87f2a458p-56"),
        ("0x1.700a7c5784634p-1", "-0x1.8c34d25aadef6p-56"),
        ("0x1.921fb54442d18p-1", "0x1.1a62633145c07p-55"),
    )
)
# Taylor coefficients, correctly rounded: on |r| <= pi/4 the first term left
# out is below 2^-60 of the result; atan's on |u| <= 1/16 below 2^-64.
SIN_COEFFICIENTS = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(1, 10))  # r^3 .. r^19
COS_COEFFICIENTS = tuple((-1) ** k / math.factorial(2 * k) for k in range(2, 11))  # r^4 .. r^20
ATAN_COEFFICIENTS = tuple((-1) ** k / (2 * k + 1) for k in range(1, 8))  # u^3 .. u^15
EXPM1_COEFFICIENTS = tuple(1 / math.factorial(n) for n in range(2, 16))  # r^2 .. r^15, |r| <= ln2/2
def _tanh_series(terms: int) -> tuple[float, ...]:
    """tanh's Taylor coefficients of x^3, x^5, ...: tanh' = 1 - tanh^2 gives
    (n + 1) a[n + 1] = -sum(a[i] a[n - i]) with a[1] = 1."""
    a = [Fraction(0), Fraction(1)]
    for n in range(1, 2 * terms + 1):
        a.append(-sum((a[i] * a[n - i] for i in range(n + 1)), Fraction(0)) / (n + 1))
    return tuple(float(a[k]) for k in range(3, 2 * terms + 2, 2))


TANH_COEFFICIENTS = _tanh_series(19)  # x^3 .. x^39, |x| < 0.55: the rest is below 2^-56
ATANH_COEFFICIENTS = tuple(1 / (2 * k + 1) for k in range(1, 12))  # s^3 .. s^23, |s| <= 1/6
# ln 2 = LN2[0] + LN2[1] to about 2^-92; LN2[0] has 36 significant bits.
LN2 = (float.fromhex("0x1.62e42fefa0000p-1"), float.fromhex("0x1.cf79abc9e3b3ap-40"))
# sin, cos and tan reduce exactly for |k| < 2^53 (see _reduce).
REDUCTION_LIMIT = 2.0**53 * PIO2[0]
# Below this, sin(x) rounds to x and tan(x) to x (x^2/3 < 2^-54).
TINY = 2.0**-27
SIGN_BIT = -(1 << 63)
MANTISSA_BITS = (1 << 52) - 1
ONE_BITS = 1023 << 52


@dataclasses.dataclass(frozen=True)
class ExpandF64Math(ModulePass):
    name = "webtensor-expand-f64-math"
    summary = "Compute f64 and complex<f64> functions IREE cannot compile in f64 with f64 arithmetic it lowers"

    # Also compute IREE's inexact f32 functions in f64 (several times their
    # time). For llvm-cpu only: Vulkan has no f64, and GPUs' f32 functions
    # are their own.
    f32: bool = False
    # For vulkan-spirv: IREE's SPIR-V code has no f64 log or exp (SPIR-V's
    # GLSL functions take f32 at most) and no f64 <-> i64 bitcast (its 64-bit
    # integers are emulated), which its f64 round_nearest_even uses too. With
    # `spirv`, f64 log, exp and round_nearest_even, here and in the
    # expansions, are f64 arithmetic without either.
    spirv: bool = False

    def run(self, module: ir.Operation, report: Report) -> None:
        expansions = {**_EXPANSIONS, **_SPIRV_EXPANSIONS} if self.spirv else _EXPANSIONS
        for op in walk(module):
            element = str(element_type(op.result)) if len(op.results) == 1 else ""
            if element == "f64" and op.name in expansions:
                _expand(op, self.spirv)
            elif element == "complex<f64>" and op.name in _COMPLEX_EXPANSIONS:
                _expand_complex(op, self.spirv)
            elif self.f32 and element == "f32" and op.name in F32_MISSES:
                _expand(op)
            elif self.f32 and element == "complex<f32>" and op.name in COMPLEX_F32_MISSES:
                _expand_complex(op)
            elif self.f32 and element in ("f32", "f16", "bf16") and op.name == "stablehlo.power":
                _expand(op)


# IREE's own f32 functions that miss 3 ULP on ordinary arguments (its sin
# and cos by up to 6, tan, atan2 and cbrt by more): computed in f64 and
# rounded once, they are within 1 ULP.
F32_MISSES = ("stablehlo.sine", "stablehlo.cosine", "stablehlo.tan", "stablehlo.atan2", "stablehlo.cbrt")
_REDUCED = ("stablehlo.sine", "stablehlo.cosine", "stablehlo.tan")
# IREE's complex<f32> exponential: its parts up to 8 ULP off; expm1 and
# log1p lose the real part to cancellation (Re expm1 by 1e-7 of |z|, Re
# log1p by tens of ULP on a twentieth of ordinary arguments).
COMPLEX_F32_MISSES = ("stablehlo.exponential", "stablehlo.exponential_minus_one", "stablehlo.log_plus_one")


def _expand(op: ir.Operation, spirv: bool = False) -> None:
    loc = op.location
    f64 = ir.F64Type.get(loc.context)
    element = element_type(op.result)
    # f16 and bf16 (power only) work in f32: plenty for 8 or 11 bits, and
    # IREE's CPU code would flush f64 -> f16 results that are subnormal to
    # zero (it folds f64 -> f32 -> f16 into one such conversion, too).
    wide = ir.F32Type.get(loc.context) if str(element) in ("f16", "bf16") else f64
    with ir.InsertionPoint(op):
        operands = [v if element == wide else build.convert(v, wide, loc=loc) for v in op.operands]
        b = _Builder(operands[0], loc, for_f32=element != f64, spirv=spirv)
        result = {**_EXPANSIONS, **_SPIRV_EXPANSIONS}[op.name](b, *operands)
        if element != f64:
            result = build.convert(result, element, loc=loc)
        if element != f64 and op.name in _REDUCED:
            # Beyond the exact reduction, an f32 keeps IREE's own value.
            x = op.operands[0]
            huge = build.compare("GE", build.unary("abs", x, loc=loc), build.filled_like(REDUCTION_LIMIT, x, loc=loc), loc=loc)
            result = build.select(huge, build.unary(op.name.removeprefix("stablehlo."), x, loc=loc), result, loc=loc)
        result = _as_type(result, op.result.type, loc)
    build.replace_op(op, [result])


def _as_type(value: ir.Value, t: ir.Type, loc: ir.Location) -> ir.Value:
    """`value` as the replaced op's own result type: the arithmetic takes
    its operands' type, which may carry bounds the result does not."""
    if value.type == t:
        return value
    return build.create("stablehlo.convert", [t], [value], loc=loc).result


def _expand_complex(op: ir.Operation, spirv: bool = False) -> None:
    """The op on real and imaginary parts, in f64, recombined."""
    loc = op.location
    f64 = ir.F64Type.get(loc.context)
    with ir.InsertionPoint(op):
        z = op.operands[0]
        part_type = ir.ComplexType(element_type(z)).element_type
        parts = [
            build.unary(part, z, loc=loc, result_type=with_element_type(z, part_type)) for part in ("real", "imag")
        ]
        narrow = part_type != f64
        if narrow:
            parts = [build.convert(p, f64, loc=loc) for p in parts]
        b = _Builder(parts[0], loc, for_f32=narrow, spirv=spirv)
        re, im = _COMPLEX_EXPANSIONS[op.name](b, *parts)
        if narrow:
            re, im = (build.convert(p, part_type, loc=loc) for p in (re, im))
        result = build.create("stablehlo.complex", [op.result.type], [re, im], loc=loc).result
    build.replace_op(op, [result])


class _Builder:
    """Elementwise f64 arithmetic on values of one shape, at one location."""

    def __init__(self, like: ir.Value, loc: ir.Location, for_f32: bool = False, spirv: bool = False):
        self.like = like
        self.loc = loc
        # An f32 result needs about 2^-30 before its rounding: shorter series.
        self.for_f32 = for_f32
        # No f64 log and no bitcasts (ExpandF64Math.spirv).
        self.spirv = spirv
        self.i64 = ir.IntegerType.get_signless(64, loc.context)

    def c(self, value: float) -> ir.Value:
        return build.filled_like(value, self.like, loc=self.loc)

    def ci(self, value: int) -> ir.Value:
        return build.filled_like(value, self.like, loc=self.loc, element=self.i64)

    def op(self, name: str, *operands: ir.Value) -> ir.Value:
        if len(operands) == 1:
            return build.unary(name, operands[0], loc=self.loc)
        return build.binary(name, operands[0], operands[1], loc=self.loc)

    def add(self, a, b):
        return self.op("add", a, b)

    def sub(self, a, b):
        return self.op("subtract", a, b)

    def mul(self, a, b):
        return self.op("multiply", a, b)

    def div(self, a, b):
        return self.op("divide", a, b)

    def cmp(self, direction: str, a, b):
        return build.compare(direction, a, b, loc=self.loc)

    def select(self, pred, a, b):
        return build.select(pred, a, b, loc=self.loc)

    def either(self, p, q):
        return self.op("or", p, q)

    def bits(self, x):
        return build.unary("bitcast_convert", x, loc=self.loc, result_type=with_element_type(x, self.i64))

    def from_bits(self, i):
        f64 = ir.F64Type.get(self.loc.context)
        return build.unary("bitcast_convert", i, loc=self.loc, result_type=with_element_type(i, f64))

    def is_nan(self, x):
        return self.cmp("NE", x, x)

    def sign_negative(self, x):
        """Whether x is below 0 or is -0.0 (1/-0.0 is -inf); false for NaN.
        Arithmetic, not the sign bit: Vulkan's f64 has no bitcast to i64."""
        return self.either(self.cmp("LT", x, self.c(0.0)), self.cmp("LT", self.div(self.c(1.0), x), self.c(0.0)))

    def copysign(self, magnitude, sign):
        """|magnitude| with the sign of `sign` (positive where it is NaN)."""
        size = self.op("abs", magnitude)
        return self.select(self.sign_negative(sign), self.op("negate", size), size)

    def round_even(self, x):
        """x rounded to the nearest integer, ties to even. With `spirv`, from
        floor and exact compares, since IREE's SPIR-V round reads bits (and
        Mesa's shader compiler may fold (x + 2^52) - 2^52 to x)."""
        if not self.spirv:
            return self.op("round_nearest_even", x)
        ax = self.op("abs", x)
        down = self.op("floor", ax)
        up = self.add(down, self.c(1.0))
        fraction = self.sub(ax, down)  # exact
        odd = self.cmp("NE", self.mul(self.op("floor", self.mul(down, self.c(0.5))), self.c(2.0)), down)
        tie = self.select(odd, up, down)
        rounded = self.select(self.cmp("GT", fraction, self.c(0.5)), up, self.select(self.cmp("LT", fraction, self.c(0.5)), down, tie))
        rounded = self.select(self.cmp("LT", ax, self.c(2.0**52)), rounded, ax)
        # NaN stays NaN; +-0 and values that round to 0 keep x's sign.
        signed = self.select(self.cmp("LT", x, self.c(0.0)), self.op("negate", rounded), rounded)
        return self.select(self.cmp("EQ", x, self.c(0.0)), x, signed)

    def log(self, x):
        return _log(self, x) if self.spirv else self.op("log", x)

    def exp(self, x):
        return _exp(self, x) if self.spirv else self.op("exponential", x)

    def pow2(self, k):
        """2^k for an integral f64 k with |k| <= 1023 + 52 (normal or
        subnormal). With `spirv`, by multiplying exact powers of two chosen
        by compares, in two halves so that neither overflows; else from bits."""
        if not self.spirv:
            return self.from_bits(self.op("shift_left", self.add(build.convert(k, self.i64, loc=self.loc), self.ci(1023)), self.ci(52)))
        half = self.op("floor", self.mul(k, self.c(0.5)))
        return self.mul(_pow2_small(self, half), _pow2_small(self, self.sub(k, half)))

    def polynomial(self, z, coefficients) -> ir.Value:
        """c0 + c1 z + c2 z^2 + ..., by Horner's rule."""
        acc = self.c(coefficients[-1])
        for coefficient in reversed(coefficients[:-1]):
            acc = self.add(self.mul(acc, z), self.c(coefficient))
        return acc

    def table(self, index, values) -> ir.Value:
        """values[index] for an integral f64 index in range, by selects."""
        acc = self.c(values[0])
        for j, value in enumerate(values[1:], start=1):
            acc = self.select(self.cmp("GE", index, self.c(j)), self.c(value), acc)
        return acc


# --- sine, cosine, tan ---------------------------------------------------------


def _reduce(b: _Builder, x: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value]:
    """k, hi, lo with x = k * pi/2 + (hi + lo), |hi + lo| <= about pi/4, for
    |k| < 2^53.

    k = kh + kl with kh a multiple of 2^26 and |kl| <= 2^25, so that each
    of kh and kl times a 26-bit part of pi/2 is exact. Then x - kh*c1,
    - kl*c1 and - kh*c2 are exact (Sterbenz, and each result is a multiple of
    the next operand's last bit, small enough to fit 53 bits); the next
    subtraction's rounding error is recovered (Fast2Sum) and the smaller
    parts go into the tail.
    """
    k = b.round_even(b.mul(x, b.c(TWO_OVER_PI)))
    kh = b.mul(b.round_even(b.mul(k, b.c(2.0**-26))), b.c(2.0**26))
    kl = b.sub(k, kh)
    c1, c2, c3, c4 = (b.c(p) for p in PIO2_PARTS)
    r = b.sub(b.sub(b.sub(x, b.mul(kh, c1)), b.mul(kl, c1)), b.mul(kh, c2))
    terms = [b.mul(kl, c2), b.mul(kh, c3), b.mul(kl, c3), b.mul(kh, c4), b.mul(kl, c4)]
    if b.for_f32:
        # 2^-53 of the largest term (kh*c3, up to 0.5) is plenty for an f32.
        w, tail = b.sub(r, terms[0]), b.c(0.0)
        tail = b.sub(b.sub(r, w), terms[0])
        for term in terms[1:]:
            tail = b.sub(tail, term)
    else:
        # With k near 2^53, kh*c3 is near 0.5 and the result may be far
        # smaller: every subtraction keeps its rounding error (TwoSum).
        w, tail = r, b.c(0.0)
        for term in terms:
            s = b.sub(w, term)
            v = b.sub(s, w)
            error = b.sub(b.sub(w, b.sub(s, v)), b.add(term, v))
            w, tail = s, b.add(tail, error)
    hi = b.add(w, tail)
    lo = b.sub(tail, b.sub(hi, w))
    return k, hi, lo


def _sin_kernel(b: _Builder, hi, lo) -> ir.Value:
    """sin(hi + lo) for |hi| <= pi/4, lo a tail below ulp(hi)."""
    z = b.mul(hi, hi)
    p = b.mul(b.mul(z, hi), b.polynomial(z, SIN_COEFFICIENTS[:5] if b.for_f32 else SIN_COEFFICIENTS))
    # sin(hi + lo) = sin(hi) + lo*cos(hi); cos(hi) ~ 1 - z/2 is plenty for a tail.
    correction = b.mul(lo, b.sub(b.c(1.0), b.mul(z, b.c(0.5))))
    return b.add(hi, b.add(p, correction))


def _cos_kernel(b: _Builder, hi, lo) -> ir.Value:
    """cos(hi + lo) for |hi| <= pi/4."""
    z = b.mul(hi, hi)
    p = b.mul(b.mul(z, z), b.polynomial(z, COS_COEFFICIENTS[:4] if b.for_f32 else COS_COEFFICIENTS))
    half_z = b.mul(z, b.c(0.5))
    # cos(hi + lo) = cos(hi) - lo*sin(hi); 1 - half_z last, since it rounds most.
    return b.sub(b.c(1.0), b.sub(half_z, b.sub(p, b.mul(lo, hi))))


def _sin_or_cos(b: _Builder, x: ir.Value, shift: int) -> ir.Value:
    """sin(x) (shift 0) or cos(x) = sin(x + pi/2) (shift 1)."""
    k, hi, lo = _reduce(b, x)
    s = _sin_kernel(b, hi, lo)
    c = _cos_kernel(b, hi, lo)
    quadrant = b.add(k, b.c(shift))
    quadrant = b.sub(quadrant, b.mul(b.op("floor", b.mul(quadrant, b.c(0.25))), b.c(4.0)))
    # quadrant 0: s, 1: c, 2: -s, 3: -c
    use_cos = b.either(b.cmp("EQ", quadrant, b.c(1.0)), b.cmp("EQ", quadrant, b.c(3.0)))
    value = b.select(use_cos, c, s)
    negate = b.cmp("GE", quadrant, b.c(2.0))
    return _beyond_reduction(b, x, b.select(negate, b.op("negate", value), value))


def _beyond_reduction(b: _Builder, x: ir.Value, result: ir.Value) -> ir.Value:
    """NaN where |x| >= REDUCTION_LIMIT: the reduction is not exact there, and
    a wrong number would pass for a right one."""
    return b.select(b.cmp("GE", b.op("abs", x), b.c(REDUCTION_LIMIT)), b.c(math.nan), result)


def _sine(b: _Builder, x: ir.Value) -> ir.Value:
    result = _sin_or_cos(b, x, 0)
    # sin(x) rounds to x for tiny x, and -0.0 must stay -0.0.
    return b.select(b.cmp("LT", b.op("abs", x), b.c(TINY)), x, result)


def _cosine(b: _Builder, x: ir.Value) -> ir.Value:
    return _sin_or_cos(b, x, 1)


def _tan(b: _Builder, x: ir.Value) -> ir.Value:
    k, hi, lo = _reduce(b, x)
    s = _sin_kernel(b, hi, lo)
    c = _cos_kernel(b, hi, lo)
    odd = b.cmp("NE", b.op("floor", b.mul(k, b.c(0.5))), b.mul(k, b.c(0.5)))
    result = _beyond_reduction(b, x, b.select(odd, b.op("negate", b.div(c, s)), b.div(s, c)))
    return b.select(b.cmp("LT", b.op("abs", x), b.c(TINY)), x, result)


# --- atan2 -----------------------------------------------------------------------


def _atan_unit(b: _Builder, a: ir.Value) -> tuple[ir.Value, ir.Value]:
    """atan(a) for a in [0, 1] as an unnormalized double-double (hi, lo)."""
    j = b.round_even(b.mul(a, b.c(8.0)))
    c = b.mul(j, b.c(0.125))
    # a - c is exact (Sterbenz, or c = 0); |u| <= 1/16.
    u = b.div(b.sub(a, c), b.add(b.c(1.0), b.mul(a, c)))
    z = b.mul(u, u)
    atan_u = b.add(u, b.mul(b.mul(z, u), b.polynomial(z, ATAN_COEFFICIENTS[:3] if b.for_f32 else ATAN_COEFFICIENTS)))
    hi = b.table(j, [hi for hi, _ in ATAN_TABLE])
    lo = b.add(b.table(j, [lo for _, lo in ATAN_TABLE]), atan_u)
    return hi, lo


def _minus(b: _Builder, constant: tuple[float, float], hi, lo) -> tuple[ir.Value, ir.Value]:
    """constant - (hi + lo) as a double-double, for |constant| >= |hi|."""
    c_hi, c_lo = b.c(constant[0]), b.c(constant[1])
    s = b.sub(c_hi, hi)
    err = b.sub(b.sub(c_hi, s), hi)  # Fast2Sum: exact
    return s, b.add(err, b.sub(c_lo, lo))


def _atan2(b: _Builder, y: ir.Value, x: ir.Value) -> ir.Value:
    ax, ay = b.op("abs", x), b.op("abs", y)
    big, small = b.op("maximum", ax, ay), b.op("minimum", ax, ay)
    ratio = b.div(small, big)
    # 0/0 and inf/inf: both zero gives 0 (then 0 or pi by x's sign), both
    # infinite gives 1 (pi/4 or 3pi/4).
    equal = b.cmp("EQ", ax, ay)
    ratio = b.select(equal, b.select(b.cmp("EQ", ax, b.c(0.0)), b.c(0.0), b.c(1.0)), ratio)
    hi, lo = _atan_unit(b, ratio)
    steep = b.cmp("GT", ay, ax)
    s_hi, s_lo = _minus(b, PIO2, hi, lo)
    hi, lo = b.select(steep, s_hi, hi), b.select(steep, s_lo, lo)
    behind = b.sign_negative(x)
    s_hi, s_lo = _minus(b, PI, hi, lo)
    hi, lo = b.select(behind, s_hi, hi), b.select(behind, s_lo, lo)
    result = b.copysign(b.add(hi, lo), y)
    return b.select(b.either(b.is_nan(x), b.is_nan(y)), b.add(x, y), result)


# --- cbrt, tanh ------------------------------------------------------------------


def _cbrt(b: _Builder, x: ir.Value) -> ir.Value:
    # In bits throughout, since IREE's CPU code flushes subnormal operands of
    # float arithmetic to zero. A subnormal is its mantissa M times 2^-1074,
    # and M converts to a normal f64 exactly; 2^-1074 = (2^-358)^3.
    magnitude_bits = b.op("and", b.bits(x), b.ci(~SIGN_BIT))
    exponent_field = b.op("shift_right_logical", magnitude_bits, b.ci(52))
    subnormal = b.cmp("EQ", exponent_field, b.ci(0))
    as_float = build.convert(magnitude_bits, ir.F64Type.get(b.loc.context), loc=b.loc)
    ax = b.select(subnormal, as_float, b.from_bits(magnitude_bits))
    bits = b.bits(ax)
    exponent = b.sub(b.op("shift_right_logical", bits, b.ci(52)), b.ci(1023))
    # floor(exponent / 3), from a positive dividend; exponent >= -1023.
    third = b.sub(b.div(b.add(exponent, b.ci(3 * 400)), b.ci(3)), b.ci(400))
    rest = b.sub(exponent, b.mul(third, b.ci(3)))
    third = b.add(third, b.select(subnormal, b.ci(-358), b.ci(0)))
    mantissa = b.from_bits(b.op("or", b.op("and", bits, b.ci(MANTISSA_BITS)), b.ci(ONE_BITS)))
    m = b.mul(mantissa, b.from_bits(b.op("shift_left", b.add(rest, b.ci(1023)), b.ci(52))))
    # m in [1, 8), its root in [1, 2): a straight-line start (within 12%),
    # then Newton steps, each squaring the relative error; the last one
    # leaves the rounding of y^3 (about 1/3 ULP) and of the sum.
    y = b.add(b.c(1.0), b.mul(b.sub(m, b.c(1.0)), b.c(1.0 / 7.0)))
    three = b.c(3.0)
    for _ in range(4 if b.for_f32 else 6):
        y2 = b.mul(y, y)
        y = b.sub(y, b.div(b.sub(b.mul(y2, y), m), b.mul(three, y2)))
    # The root's exponent, from -358 - 341 up to 341, is a normal f64's.
    root = b.mul(y, b.from_bits(b.op("shift_left", b.add(third, b.ci(1023)), b.ci(52))))
    zero = b.cmp("EQ", magnitude_bits, b.ci(0))
    inf_or_nan = b.cmp("EQ", exponent_field, b.ci(2047))
    return b.select(b.either(zero, inf_or_nan), x, b.copysign(root, x))


def _expm1(b: _Builder, x: ir.Value) -> ir.Value:
    """e^x - 1 without cancellation (IREE's own f64 expm1 is about 1e-8
    off): x = k ln2 + r with |r| <= ln2/2, a Taylor kernel for expm1(r),
    then 2^k (expm1(r) + 1) - 1 arranged so that nothing large cancels."""
    k = b.round_even(b.mul(x, b.c(1 / math.log(2))))
    k = b.op("maximum", b.op("minimum", k, b.c(64.0)), b.c(-64.0))
    # ln2 in two parts, the first short enough that k*part is exact.
    r = b.sub(b.sub(x, b.mul(k, b.c(LN2[0]))), b.mul(k, b.c(LN2[1])))
    small = b.mul(b.mul(r, r), b.polynomial(r, EXPM1_COEFFICIENTS))
    e = b.add(r, small)  # expm1(r)
    two_k = b.pow2(k)
    # 2^k e + (2^k - 1): 2^k - 1 is exact for |k| <= 52, and for k = 0 this
    # is e itself.
    reduced = b.add(b.mul(two_k, e), b.sub(two_k, b.c(1.0)))
    result = b.select(b.cmp("GT", x, b.c(40.0)), b.exp(x), reduced)
    result = b.select(b.cmp("LT", x, b.c(-40.0)), b.c(-1.0), result)
    tiny = b.cmp("LT", b.op("abs", x), b.c(TINY * TINY))
    return b.select(b.either(tiny, b.is_nan(x)), x, result)


def _tanh(b: _Builder, x: ir.Value) -> ir.Value:
    # Below 0.55, tanh's Taylor series (radius pi/2); beyond, 1 - 2 / (e^2|x| + 1)
    # rounds well, since the result is over 1/2 (e^2|x| may overflow to inf:
    # then the result is 1).
    ax = b.op("abs", x)
    z = b.mul(ax, ax)
    near = b.add(ax, b.mul(b.mul(z, ax), b.polynomial(z, TANH_COEFFICIENTS)))
    far = b.sub(b.c(1.0), b.div(b.c(2.0), b.add(b.exp(b.mul(ax, b.c(2.0))), b.c(1.0))))
    magnitude = b.select(b.cmp("LT", ax, b.c(0.55)), near, far)
    result = b.copysign(magnitude, x)
    return b.select(b.cmp("LT", b.op("abs", x), b.c(TINY)), x, result)


def _log1p(b: _Builder, x: ir.Value) -> ir.Value:
    """log(1 + x) (IREE's own f64 log1p is about 1e-8 off): near 0 as
    2 atanh(s), s = x / (2 + x), a series in s^2 with |s| <= 1/6; elsewhere
    log(u) for u = 1 + x rounded, corrected by the rounding error of u."""
    s = b.div(x, b.add(b.c(2.0), x))
    z = b.mul(s, s)
    near = b.mul(b.c(2.0), b.add(s, b.mul(b.mul(z, s), b.polynomial(z, ATANH_COEFFICIENTS))))
    u = b.add(b.c(1.0), x)
    # 1 + x = u - ((u - 1) - x); log(1 + x) ~ log(u) - ((u - 1) - x) / u.
    far = b.sub(b.log(u), b.div(b.sub(b.sub(u, b.c(1.0)), x), u))
    far = b.select(b.cmp("GT", x, b.c(2.0**53)), b.log(x), far)
    result = b.select(b.either(b.cmp("LT", x, b.c(-0.25)), b.cmp("GT", x, b.c(0.4))), far, near)
    tiny = b.cmp("LT", b.op("abs", x), b.c(TINY * TINY))
    return b.select(b.either(tiny, b.is_nan(x)), x, result)


def _log(b: _Builder, x: ir.Value) -> ir.Value:
    """log(x) without bits, for SPIR-V (ExpandF64Math.spirv): x = m 2^e by
    exact scaling with powers of two, m in [sqrt(1/2), sqrt(2)), then
    log(m) = f - (f^2/2 - s (f^2/2 + R)) with f = m - 1, s = f / (2 + f) and
    R = 2 atanh(s) - 2s, whose rounding errors stay below the result's last
    bit (fdlibm's arrangement); e ln2 in two parts."""
    finite_positive = b.op("and", b.cmp("GT", x, b.c(0.0)), b.cmp("LT", x, b.c(math.inf)))
    m, e = _frexp(b, b.select(finite_positive, x, b.c(1.0)))
    high = b.cmp("GT", m, b.c(SQRT2))
    m = b.select(high, b.mul(m, b.c(0.5)), m)
    e = b.add(e, b.select(high, b.c(1.0), b.c(0.0)))
    f = b.sub(m, b.c(1.0))
    s = b.div(f, b.add(b.c(2.0), f))
    z = b.mul(s, s)
    r = b.mul(b.mul(b.c(2.0), z), b.polynomial(z, ATANH_COEFFICIENTS))
    half_square = b.mul(b.c(0.5), b.mul(f, f))
    log_m_tail = b.sub(half_square, b.add(b.mul(s, b.add(half_square, r)), b.mul(e, b.c(LN2[1]))))
    result = b.sub(b.mul(e, b.c(LN2[0])), b.sub(log_m_tail, f))
    result = b.select(b.cmp("EQ", x, b.c(0.0)), b.c(-math.inf), result)
    result = b.select(b.cmp("LT", x, b.c(0.0)), b.c(math.nan), result)
    return b.select(b.either(b.cmp("EQ", x, b.c(math.inf)), b.is_nan(x)), x, result)


def _exp(b: _Builder, x: ir.Value) -> ir.Value:
    """e^x without bits or SPIR-V's f32-only Exp (ExpandF64Math.spirv): x =
    k ln2 + r with |r| <= ln2/2, e^r = 1 + expm1(r) by the Taylor kernel,
    times 2^k from exact powers of two. k is clamped where the result is
    inf or 0 anyway."""
    k = b.round_even(b.mul(x, b.c(1 / math.log(2))))
    k = b.op("maximum", b.op("minimum", k, b.c(1030.0)), b.c(-1080.0))
    r = b.sub(b.sub(x, b.mul(k, b.c(LN2[0]))), b.mul(k, b.c(LN2[1])))
    e_r = b.add(b.c(1.0), b.add(r, b.mul(b.mul(r, r), b.polynomial(r, EXPM1_COEFFICIENTS))))
    half = b.op("floor", b.mul(k, b.c(0.5)))
    # e^r 2^half is normal; the second factor rounds once.
    result = b.mul(b.mul(e_r, _pow2_small(b, half)), _pow2_small(b, b.sub(k, half)))
    # Beyond these, e^x overflows or rounds to 0 (and r would be inf or NaN).
    result = b.select(b.cmp("GT", x, b.c(710.0)), b.c(math.inf), result)
    result = b.select(b.cmp("LT", x, b.c(-746.0)), b.c(0.0), result)
    return b.select(b.is_nan(x), x, result)


def _pow2_small(b: _Builder, k: ir.Value) -> ir.Value:
    """2^k for an integral f64 k with |k| <= 1023, by selects."""
    remaining = b.op("abs", k)
    up, down = b.c(1.0), b.c(1.0)
    for bit in (512, 256, 128, 64, 32, 16, 8, 4, 2, 1):
        take = b.cmp("GE", remaining, b.c(float(bit)))
        up = b.select(take, b.mul(up, b.c(2.0**bit)), up)
        down = b.select(take, b.mul(down, b.c(2.0**-bit)), down)
        remaining = b.sub(remaining, b.select(take, b.c(float(bit)), b.c(0.0)))
    return b.select(b.cmp("LT", k, b.c(0.0)), down, up)


def _frexp(b: _Builder, ax: ir.Value) -> tuple[ir.Value, ir.Value]:
    """m in [1, 2) and an integral f64 e with ax = m 2^e, for positive
    finite ax, by multiplying with exact powers of two chosen by compares
    (a subnormal first by 2^64, so that 512 + 256 + ... + 1 covers the rest)."""
    subnormal = b.cmp("LT", ax, b.c(2.0**-1022))
    m = b.select(subnormal, b.mul(ax, b.c(2.0**64)), ax)
    e = b.select(subnormal, b.c(-64.0), b.c(0.0))
    for k in (512, 256, 128, 64, 32, 16, 8, 4, 2, 1):
        big = b.cmp("GE", m, b.c(2.0**k))
        m = b.select(big, b.mul(m, b.c(2.0**-k)), m)
        e = b.add(e, b.select(big, b.c(float(k)), b.c(0.0)))
    for k in (512, 256, 128, 64, 32, 16, 8, 4, 2, 1):
        small = b.cmp("LT", m, b.c(2.0 ** (1 - k)))
        m = b.select(small, b.mul(m, b.c(2.0**k)), m)
        e = b.sub(e, b.select(small, b.c(float(k)), b.c(0.0)))
    return m, e


def _round_even(b: _Builder, x: ir.Value) -> ir.Value:
    return b.round_even(x)


_SPIRV_EXPANSIONS: dict[str, Callable[..., ir.Value]] = {
    "stablehlo.log": _log,
    "stablehlo.exponential": _exp,
    "stablehlo.round_nearest_even": _round_even,
}


# --- power ---------------------------------------------------------------------

# x = m 2^e with m below this: m in [sqrt(1/2), sqrt(2)), so |s| <= 0.1716 in
# log(m) = 2 atanh(s), s = (m - 1) / (m + 1), and the series' first term
# left out (s^25 / 25) is below 2^-65 of 2s.
SQRT2 = math.sqrt(2.0)
LOW_27_BITS = (1 << 27) - 1


def _two_sum(b: _Builder, a, c) -> tuple[ir.Value, ir.Value]:
    """a + c = s + err exactly (Knuth's TwoSum: no ordering needed)."""
    s = b.add(a, c)
    v = b.sub(s, a)
    return s, b.add(b.sub(a, b.sub(s, v)), b.sub(c, v))


def _split(b: _Builder, a) -> tuple[ir.Value, ir.Value]:
    """a = hi + lo with hi a's top 26 significant bits and lo the rest (27
    bits), cut by masking bits rather than Veltkamp's multiply-and-subtract,
    which a backend contracting into FMA would break."""
    hi = b.from_bits(b.op("and", b.bits(a), b.ci(~LOW_27_BITS)))
    return hi, b.sub(a, hi)


def _two_product(b: _Builder, a, c) -> tuple[ir.Value, ir.Value]:
    """a * c = p + err (Dekker): every partial product of the 26- and 27-bit
    halves but the smallest is exact, so contraction cannot change them."""
    p = b.mul(a, c)
    ah, al = _split(b, a)
    ch, cl = _split(b, c)
    err = b.add(b.add(b.add(b.sub(b.mul(ah, ch), p), b.mul(ah, cl)), b.mul(al, ch)), b.mul(al, cl))
    return p, err


def _log_double(b: _Builder, ax: ir.Value) -> tuple[ir.Value, ir.Value]:
    """log(ax) as a double-double (hi, lo), relative error about 2^-62, for
    positive finite ax (subnormals included: they are read from their bits,
    since IREE's CPU code flushes subnormal operands to zero)."""
    bits = b.bits(ax)
    subnormal = b.cmp("EQ", b.op("shift_right_logical", bits, b.ci(52)), b.ci(0))
    # A subnormal is its mantissa M times 2^-1074; M converts exactly.
    normal = b.select(subnormal, build.convert(bits, ir.F64Type.get(b.loc.context), loc=b.loc), ax)
    nbits = b.bits(normal)
    exponent = b.sub(b.op("shift_right_logical", nbits, b.ci(52)), b.ci(1023))
    exponent = b.add(exponent, b.select(subnormal, b.ci(-1074), b.ci(0)))
    m = b.from_bits(b.op("or", b.op("and", nbits, b.ci(MANTISSA_BITS)), b.ci(ONE_BITS)))
    high = b.cmp("GT", m, b.c(SQRT2))
    m = b.select(high, b.mul(m, b.c(0.5)), m)
    e = b.add(build.convert(exponent, ir.F64Type.get(b.loc.context), loc=b.loc), b.select(high, b.c(1.0), b.c(0.0)))
    # s = f / (u + ul) with f = m - 1 exact (Sterbenz) and m + 1 = u + ul
    # exact; s = s_hi + s_lo from the division's residual.
    f = b.sub(m, b.c(1.0))
    u, ul = _two_sum(b, m, b.c(1.0))
    s_hi = b.div(f, u)
    p, p_err = _two_product(b, s_hi, u)
    # f - p is exact: p is within an ulp or two of f.
    residual = b.sub(b.sub(b.sub(f, p), p_err), b.mul(s_hi, ul))
    s_lo = b.div(residual, u)
    z = b.mul(s_hi, s_hi)
    tail = b.mul(b.mul(b.c(2.0), b.mul(z, s_hi)), b.polynomial(z, ATANH_COEFFICIENTS))
    # e ln2 = e LN2[0] (exact: |e| < 2^11, LN2[0] has 36 bits) + e LN2[1].
    hi, err = _two_sum(b, b.mul(e, b.c(LN2[0])), b.mul(s_hi, b.c(2.0)))
    lo = b.add(b.add(err, b.mul(e, b.c(LN2[1]))), b.add(b.mul(s_lo, b.c(2.0)), tail))
    total = b.add(hi, lo)
    return total, b.sub(lo, b.sub(total, hi))


def _power(b: _Builder, x: ir.Value, y: ir.Value) -> ir.Value:
    """x^y with C's (and IEEE 754's) pow semantics, which StableHLO's
    reference interpreter follows: a negative base with an integral exponent
    is defined (its sign is the exponent's parity), with a non-integral one
    NaN; x^0 = 1^y = 1 even for NaN; (-1)^inf = 1.

    |x|^y = exp(y log|x|). For an f32 result f64 arithmetic is plenty
    (|y log|x|| < 2^7, so its rounding is below 2^-46 of the result); for
    f16 and bf16, f32 (below 2^-17 and 2^-15, with IREE's f32 log and exp
    a few f32 ULP off).
    For an f64 result the product's rounding would cost up to |y log|x||
    ULP: log|x| is computed as a double-double, multiplied exactly, and the
    product's low part applied as exp(hi + lo) = exp(hi) (1 + lo), which
    leaves IREE's f64 exp (within 1 ULP) as the main error."""
    if b.for_f32:
        # Subnormal operands count as zero, as in all of IREE's CPU code.
        ax = b.op("abs", x)
        zero = b.cmp("EQ", ax, b.c(0.0))
        # The sign bit by comparisons (this may run on f32): -0 by 1/-0 = -inf.
        negative = b.either(b.cmp("LT", x, b.c(0.0)), b.cmp("LT", b.div(b.c(1.0), x), b.c(0.0)))
        finite_negative = b.op("and", b.cmp("LT", x, b.c(0.0)), b.cmp("GT", x, b.c(-math.inf)))
        magnitude = b.exp(b.mul(y, b.log(ax)))
    else:
        # By bits: IREE's CPU code would read a subnormal x as zero.
        magnitude_bits = b.op("and", b.bits(x), b.ci(~SIGN_BIT))
        ax = b.from_bits(magnitude_bits)
        zero = b.cmp("EQ", magnitude_bits, b.ci(0))
        negative = b.sign_negative(x)
        below_inf = b.cmp("LT", magnitude_bits, b.ci(0x7FF << 52))
        finite_negative = b.op("and", negative, b.op("and", b.op("not", zero), below_inf))
        log_hi, log_lo = _log_double(b, ax)
        t_hi, t_err = _two_product(b, y, log_hi)
        t_lo = b.add(t_err, b.mul(y, log_lo))
        e = b.exp(t_hi)
        # Past |t| = 708 the result overflows or is subnormal (where IREE
        # flushes anyway), and inf * lo could make a NaN.
        magnitude = b.select(b.cmp("LT", b.op("abs", t_hi), b.c(708.0)), b.add(e, b.mul(e, t_lo)), e)
    # |x| = 0 or inf: 0 or inf by whether the exponent flips it; not from
    # log, so that nothing depends on how log(0) is lowered.
    inf = b.cmp("EQ", ax, b.c(math.inf))
    large = b.op("xor", inf, b.cmp("LT", y, b.c(0.0)))
    magnitude = b.select(b.either(zero, inf), b.select(large, b.c(math.inf), b.c(0.0)), magnitude)
    integral = b.cmp("EQ", b.op("floor", y), y)  # true for +-inf, false for NaN
    half = b.mul(y, b.c(0.5))
    odd = b.op("and", integral, b.cmp("NE", b.op("floor", half), half))  # +-inf and |y| >= 2^53 are even
    result = b.select(b.op("and", negative, odd), b.op("negate", magnitude), magnitude)
    result = b.select(b.op("and", finite_negative, b.op("not", integral)), b.c(math.nan), result)
    result = b.select(b.either(b.is_nan(x), b.is_nan(y)), b.add(x, y), result)
    minus_one_to_inf = b.op("and", b.cmp("EQ", x, b.c(-1.0)), b.cmp("EQ", b.op("abs", y), b.c(math.inf)))
    one = b.either(b.either(b.cmp("EQ", x, b.c(1.0)), b.cmp("EQ", y, b.c(0.0))), minus_one_to_inf)
    return b.select(one, b.c(1.0), result)


_EXPANSIONS: dict[str, Callable[..., ir.Value]] = {
    "stablehlo.sine": _sine,
    "stablehlo.cosine": _cosine,
    "stablehlo.tan": _tan,
    "stablehlo.atan2": _atan2,
    "stablehlo.cbrt": _cbrt,
    "stablehlo.tanh": _tanh,
    "stablehlo.exponential_minus_one": _expm1,
    "stablehlo.log_plus_one": _log1p,
    "stablehlo.power": _power,
}


# --- complex<f64> ----------------------------------------------------------------
# IREE lowers complex functions to real ones (sin, cos, atan2, ...) that it
# cannot link in f64, so each becomes f64 arithmetic on the parts here, with
# the formulas that keep each part accurate and free of spurious overflow.

Parts = tuple[ir.Value, ir.Value]


def _cosh_sinh(b: _Builder, x: ir.Value) -> Parts:
    """cosh x and sinh x; sinh from expm1 of x and -x, which have opposite
    signs, so nothing cancels near 0."""
    e, e_negative = _expm1(b, x), _expm1(b, b.op("negate", x))
    half = b.c(0.5)
    cosh = b.add(b.mul(b.add(e, e_negative), half), b.c(1.0))
    sinh = b.mul(b.sub(e, e_negative), half)
    return cosh, sinh


def _complex_exp(b: _Builder, re, im) -> Parts:
    # e^re may overflow where e^re cos(im) does not: e^(re/2) twice instead.
    half = b.exp(b.mul(re, b.c(0.5)))
    scale = b.mul(half, half)
    big = b.cmp("GT", re, b.c(700.0))
    cos, sin = _cosine(b, im), _sine(b, im)
    real = b.select(big, b.mul(b.mul(half, cos), half), b.mul(scale, cos))
    imag = b.select(big, b.mul(b.mul(half, sin), half), b.mul(scale, sin))
    # e^(x + 0i) is real: no NaN from inf * 0.
    return real, b.select(b.cmp("EQ", im, b.c(0.0)), im, imag)


def _complex_expm1(b: _Builder, re, im) -> Parts:
    # Re(e^z - 1) = expm1(re) cos(im) + (cos(im) - 1), cos(im) - 1 = -2 sin^2(im/2).
    cos, sin = _cosine(b, im), _sine(b, im)
    sin_half = _sine(b, b.mul(im, b.c(0.5)))
    real = b.sub(b.mul(_expm1(b, re), cos), b.mul(b.c(2.0), b.mul(sin_half, sin_half)))
    imag = b.mul(b.exp(re), sin)
    return real, b.select(b.cmp("EQ", im, b.c(0.0)), im, imag)


def _log_abs(b: _Builder, re, im) -> ir.Value:
    """log |re + i im| without overflow or underflow in the squares, and
    without cancellation near |z| = 1."""
    big = b.op("maximum", b.op("abs", re), b.op("abs", im))
    small = b.op("minimum", b.op("abs", re), b.op("abs", im))
    ratio = b.div(small, big)
    far = b.add(b.log(big), b.mul(b.c(0.5), _log1p(b, b.mul(ratio, ratio))))
    # Near 1: log|z| = log1p(|z|^2 - 1) / 2, with (big - 1)(big + 1) exact enough.
    near = b.mul(b.c(0.5), _log1p(b, b.add(b.mul(b.sub(big, b.c(1.0)), b.add(big, b.c(1.0))), b.mul(small, small))))
    close = b.op("and", b.cmp("GT", big, b.c(0.5)), b.cmp("LT", big, b.c(2.0)))
    result = b.select(close, near, far)
    # |0| = 0 and |inf| = inf, where the ratio is NaN.
    result = b.select(b.cmp("EQ", big, b.c(0.0)), b.c(-math.inf), result)
    return b.select(b.cmp("EQ", big, b.c(math.inf)), b.c(math.inf), result)


def _complex_log(b: _Builder, re, im) -> Parts:
    return _log_abs(b, re, im), _atan2(b, im, re)


def _complex_log1p(b: _Builder, re, im) -> Parts:
    # Near 0, log|1 + z| = log1p(2 re + re^2 + im^2) / 2 keeps the small real part.
    one_plus = b.add(b.c(1.0), re)
    small = b.op("and", b.cmp("LT", b.op("abs", re), b.c(0.5)), b.cmp("LT", b.op("abs", im), b.c(0.5)))
    near = b.mul(b.c(0.5), _log1p(b, b.add(b.mul(re, b.add(b.c(2.0), re)), b.mul(im, im))))
    real = b.select(small, near, _log_abs(b, one_plus, im))
    return real, _atan2(b, im, one_plus)


def _hypot(b: _Builder, re, im) -> ir.Value:
    big = b.op("maximum", b.op("abs", re), b.op("abs", im))
    small = b.op("minimum", b.op("abs", re), b.op("abs", im))
    ratio = b.div(small, big)
    result = b.mul(big, b.op("sqrt", b.add(b.c(1.0), b.mul(ratio, ratio))))
    result = b.select(b.cmp("EQ", big, b.c(0.0)), b.c(0.0), result)
    return b.select(b.cmp("EQ", big, b.c(math.inf)), b.c(math.inf), result)


def _complex_sqrt(b: _Builder, re, im) -> Parts:
    # t = sqrt((|re| + |z|) / 2) has no cancellation; the other part is
    # im / 2t. Halving before the sum keeps |re| + |z| from overflowing.
    t = b.op("sqrt", b.add(b.mul(b.op("abs", re), b.c(0.5)), b.mul(_hypot(b, re, im), b.c(0.5))))
    other = b.div(b.op("abs", im), b.mul(t, b.c(2.0)))
    other = b.select(b.cmp("EQ", t, b.c(0.0)), b.c(0.0), other)
    nonnegative = b.cmp("GE", re, b.c(0.0))
    real = b.select(nonnegative, t, other)
    imag = b.copysign(b.select(nonnegative, other, t), im)
    # sqrt(x +- i inf) = inf +- i inf, whatever x.
    infinite = b.cmp("EQ", b.op("abs", im), b.c(math.inf))
    return b.select(infinite, b.c(math.inf), real), b.select(infinite, im, imag)


def _reciprocal(b: _Builder, re, im) -> Parts:
    """1 / (re + i im), scaled so that the squares neither overflow nor underflow."""
    big = b.op("maximum", b.op("abs", re), b.op("abs", im))
    p, q = b.div(re, big), b.div(im, big)
    d = b.mul(b.add(b.mul(p, p), b.mul(q, q)), big)
    return b.div(p, d), b.op("negate", b.div(q, d))


def _complex_rsqrt(b: _Builder, re, im) -> Parts:
    return _reciprocal(b, *_complex_sqrt(b, re, im))


def _complex_logistic(b: _Builder, re, im) -> Parts:
    e_re, e_im = _complex_exp(b, b.op("negate", re), b.op("negate", im))
    return _reciprocal(b, b.add(b.c(1.0), e_re), e_im)


def _complex_sine(b: _Builder, re, im) -> Parts:
    cosh, sinh = _cosh_sinh(b, im)
    return b.mul(_sine(b, re), cosh), b.mul(_cosine(b, re), sinh)


def _complex_cosine(b: _Builder, re, im) -> Parts:
    cosh, sinh = _cosh_sinh(b, im)
    return b.mul(_cosine(b, re), cosh), b.op("negate", b.mul(_sine(b, re), sinh))


def _complex_tanh(b: _Builder, re, im) -> Parts:
    # Kahan's form: t = tan(im), s = sinh(re), rho = cosh(re):
    # tanh z = (rho s (1 + t^2) + i t) / (1 + s^2 (1 + t^2)). Past |re| = 22,
    # tanh z = sign(re) + i 4 sin(im) cos(im) e^(-2|re|) to double precision.
    t = _tan(b, im)
    cosh, s = _cosh_sinh(b, re)
    beta = b.add(b.c(1.0), b.mul(t, t))
    denominator = b.add(b.c(1.0), b.mul(beta, b.mul(s, s)))
    real = b.div(b.mul(b.mul(beta, cosh), s), denominator)
    imag = b.div(t, denominator)
    far = b.cmp("GT", b.op("abs", re), b.c(22.0))
    tiny = b.exp(b.mul(b.op("abs", re), b.c(-2.0)))
    far_imag = b.mul(b.mul(b.c(4.0), b.mul(_sine(b, im), _cosine(b, im))), tiny)
    return b.select(far, b.copysign(b.c(1.0), re), real), b.select(far, far_imag, imag)


def _complex_tan(b: _Builder, re, im) -> Parts:
    # tan z = -i tanh(i z), and i z = -im + i re.
    real, imag = _complex_tanh(b, b.op("negate", im), re)
    return imag, b.op("negate", real)


_COMPLEX_EXPANSIONS: dict[str, Callable[..., Parts]] = {
    "stablehlo.exponential": _complex_exp,
    "stablehlo.exponential_minus_one": _complex_expm1,
    "stablehlo.log": _complex_log,
    "stablehlo.log_plus_one": _complex_log1p,
    "stablehlo.sqrt": _complex_sqrt,
    "stablehlo.rsqrt": _complex_rsqrt,
    "stablehlo.logistic": _complex_logistic,
    "stablehlo.sine": _complex_sine,
    "stablehlo.cosine": _complex_cosine,
    "stablehlo.tan": _complex_tan,
    "stablehlo.tanh": _complex_tanh,
}
