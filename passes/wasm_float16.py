"""webtensor-wasm-float16: float16 arithmetic in f32, and float16
conversions in integer bit operations, for the wasm32 target.

IREE's device library, linked into every wasm32 kernel module, defines the
half conversions `__extendhfsf2` and `__truncsfhf2` as taking an f32, while
LLVM's wasm backend calls them with the half's bits as an i32: a module that
converts between f16 and f32 fails WebAssembly validation. This pass leaves
no such conversion for LLVM to make:

1. Every op that computes on f16 (elementwise math, compare, clamp, dot,
   convolution, iota) computes in f32 instead, between a convert of each
   f16 operand to f32 and a convert of each f16 result back: one rounding
   to f16 after each op, as XLA does on the CPU. Data movement (reshape,
   transpose, slice, concatenate, broadcast, gather, scatter, select, pad,
   ...) stays f16. Ops with regions stay f16 and their bodies are widened
   op by op.
2. Every convert from or to f16 becomes integer arithmetic on the half's
   bits (bitcast_convert to i16): exact widening, including subnormals,
   infinities and NaN payloads; narrowing with round-to-nearest-even,
   subnormal results, overflow to infinity and quiet NaNs (payload kept,
   as x86's vcvtps2ph and compiler-rt do). A convert between f16 and a type
   other than f32 goes through f32; from f64 that rounds twice.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.types import element_type, with_element_type
from ..dialects.walk import walk
from .base import ModulePass, Report
from .widen import CONVERT, COMPUTING, compute_in_f32, touches

@dataclasses.dataclass(frozen=True)
class WasmFloat16(ModulePass):
    name = "webtensor-wasm-float16"
    summary = "Compute float16 in f32 and convert to and from float16 with integer bit operations (wasm32)"

    def run(self, module: ir.Operation, report: Report) -> None:
        with module.context:
            self._rewrite(module)

    def _rewrite(self, module: ir.Operation) -> None:
        for op in walk(module):
            if op.name in COMPUTING and touches(op, _f16()):
                compute_in_f32(op, _f16())
        for op in walk(module, CONVERT):
            source, result = element_type(op.operands[0]), element_type(op.results[0])
            if source != result and _f16() in (source, result):
                _lower_convert(op, source, result)


def _f16() -> ir.Type:
    return ir.F16Type.get()


def _f32() -> ir.Type:
    return ir.F32Type.get()


def _lower_convert(op: ir.Operation, source: ir.Type, result: ir.Type) -> None:
    loc = op.location
    x = op.operands[0]
    f16, f32 = _f16(), _f32()
    with ir.InsertionPoint(op):
        if source == f16:
            wide = _f16_to_f32(x, loc)
            lowered = wide if result == f32 else build.convert(wide, result, loc=loc)
        else:
            narrow_from = x if source == f32 else build.convert(x, f32, loc=loc)
            lowered = _f32_to_f16(narrow_from, loc)
    build.replace_op(op, [lowered])


class _Bits:
    """i32 arithmetic on tensors of one shape, with constants made alike."""

    def __init__(self, like: ir.Value, loc: ir.Location):
        self.like, self.loc = like, loc

    def const(self, value: int) -> ir.Value:
        return build.filled_like(value, self.like, loc=self.loc)

    def op(self, name: str, lhs: ir.Value, rhs: ir.Value | int) -> ir.Value:
        rhs = self.const(rhs) if isinstance(rhs, int) else rhs
        return build.binary(name, lhs, rhs, loc=self.loc)

    def cmp(self, direction: str, lhs: ir.Value, rhs: ir.Value | int) -> ir.Value:
        rhs = self.const(rhs) if isinstance(rhs, int) else rhs
        return build.compare(direction, lhs, rhs, loc=self.loc)

    def select(self, pred: ir.Value, on_true: ir.Value | int, on_false: ir.Value | int) -> ir.Value:
        on_true = self.const(on_true) if isinstance(on_true, int) else on_true
        on_false = self.const(on_false) if isinstance(on_false, int) else on_false
        return build.select(pred, on_true, on_false, loc=self.loc)

    def round_shift(self, value: ir.Value, amount: ir.Value | int) -> ir.Value:
        """value >> amount, rounded to nearest, ties to even (0 < amount < 31)."""
        if isinstance(amount, int):
            amount, half_less_one = self.const(amount), self.const((1 << (amount - 1)) - 1)
        else:
            half_less_one = self.op("subtract", self.op("shift_left", self.const(1), self.op("subtract", amount, 1)), 1)
        odd = self.op("and", self.op("shift_right_logical", value, amount), 1)
        biased = self.op("add", self.op("add", value, half_less_one), odd)
        return self.op("shift_right_logical", biased, amount)


def _f16_to_f32(x: ir.Value, loc: ir.Location) -> ir.Value:
    i16, i32 = ir.IntegerType.get_signless(16), ir.IntegerType.get_signless(32)
    half_bits = build.unary("bitcast_convert", x, loc=loc, result_type=with_element_type(x, i16))
    b = _Bits(build.convert(half_bits, i32, loc=loc), loc)
    h = b.op("and", b.like, 0xFFFF)
    sign = b.op("shift_left", b.op("and", h, 0x8000), 16)
    exponent = b.op("and", b.op("shift_right_logical", h, 10), 0x1F)
    mantissa = b.op("and", h, 0x3FF)
    # Normal, infinite or NaN: the fields moved over, the exponent rebiased.
    wide_exponent = b.select(b.cmp("EQ", exponent, 0x1F), 0xFF, b.op("add", exponent, 127 - 15))
    normal = b.op("or", b.op("or", sign, b.op("shift_left", wide_exponent, 23)), b.op("shift_left", mantissa, 13))
    # Zero or subnormal: mantissa * 2^-24, exact in f32.
    f32 = _f32()
    scaled = build.binary(
        "multiply",
        build.convert(mantissa, f32, loc=loc),
        build.filled_like(2.0**-24, mantissa, loc=loc, element=f32),
        loc=loc,
    )
    scaled_bits = build.unary("bitcast_convert", scaled, loc=loc, result_type=with_element_type(scaled, i32))
    subnormal = b.op("or", sign, scaled_bits)
    bits = b.select(b.cmp("EQ", exponent, 0), subnormal, normal)
    return build.unary("bitcast_convert", bits, loc=loc, result_type=with_element_type(bits, f32))


def _f32_to_f16(x: ir.Value, loc: ir.Location) -> ir.Value:
    i16, i32 = ir.IntegerType.get_signless(16), ir.IntegerType.get_signless(32)
    b = _Bits(build.unary("bitcast_convert", x, loc=loc, result_type=with_element_type(x, i32)), loc)
    sign = b.op("and", b.op("shift_right_logical", b.like, 16), 0x8000)
    magnitude = b.op("and", b.like, 0x7FFFFFFF)
    # At least 2^-14: rebias the exponent and round off 13 mantissa bits (a
    # carry moves into the exponent, as it should).
    normal = b.round_shift(b.op("subtract", magnitude, (127 - 15) << 23), 13)
    # Below 2^-14: the significand, shifted to units of 2^-24 and rounded;
    # below 2^-25 the shift of 25 leaves 0.
    exponent = b.op("maximum", b.op("shift_right_logical", magnitude, 23), 101)
    significand = b.op("or", b.op("and", magnitude, 0x7FFFFF), 0x800000)
    subnormal = b.round_shift(significand, b.op("subtract", b.const(126), exponent))
    nan = b.op("or", b.op("and", b.op("shift_right_logical", magnitude, 13), 0x3FF), 0x7E00)
    bits = b.select(b.cmp("LT", magnitude, 0x38800000), subnormal, normal)
    bits = b.select(b.cmp("GE", magnitude, 0x477FF000), 0x7C00, bits)  # 65520 and up round to infinity
    bits = b.select(b.cmp("GT", magnitude, 0x7F800000), nan, bits)
    bits = b.op("or", sign, bits)
    narrow = build.convert(bits, i16, loc=loc)
    return build.unary("bitcast_convert", narrow, loc=loc, result_type=with_element_type(narrow, _f16()))
