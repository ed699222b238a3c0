"""webtensor-sandbox-float-to-int: float-to-integer `convert` that saturates,
the same on every target.

The StableHLO spec truncates toward zero and leaves a value whose truncation
does not fit the integer type open; LLVM's fptosi/fptoui give poison for it.
IREE 3.13 on x86 returned, for NaN, +-inf and every out-of-range value alike,
INT_MIN for i32/i64, 0 for i8/i16 (INT_MIN truncated), all bits set for
ui32/ui64 (and for -1.5), and other targets differ. WebTensor defines the
conversion from any float type to iN or uiN as:

    NaN                          -> 0
    x >= INT_MAX + 1 (and +inf)  -> INT_MAX  (UINT_MAX for uiN)
    x <= INT_MIN     (and -inf)  -> INT_MIN  (0 for uiN, and any x <= 0)
    otherwise                    -> x truncated toward zero (-0.0 -> 0)

which is also what XLA on the CPU gives for f16, bf16, f32 and f64 to every
iN and uiN (checked by tests/unit/test_sandbox_arithmetic.py). A complex
operand converts its real part, as the spec says; its imaginary part is
ignored.

INT_MAX is often not a value of the float type (2^31 - 1 rounds to 2^31 in
f32), so the bounds are the powers of two INT_MIN and INT_MAX + 1, which are.
f16 and bf16 are widened to f32 first, exactly, where every bound up to 2^64
is a finite value. The convert itself only ever sees values whose truncation
fits:

    in_range = lower < x < upper            (false for NaN)
    y = convert(select(in_range, x, 0))
    y = select(x >= upper, INT_MAX, select(x <= lower, INT_MIN, y))

Conversions to i1 (x != 0, so NaN is true, as the spec says), between
floats, and between integers are already defined and left alone.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.types import (
    bit_width,
    element_type,
    int_range,
    is_bool,
    is_complex,
    is_float,
    is_integer,
    with_element_type,
)
from ..dialects.walk import walk
from .base import ModulePass, Report

CONVERT = "stablehlo.convert"


@dataclasses.dataclass(frozen=True)
class SandboxFloatToInt(ModulePass):
    name = "webtensor-sandbox-float-to-int"
    summary = "Make float-to-integer convert saturate, with NaN to 0"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module, CONVERT):
            if _is_float_to_int(op):
                _sandbox(op)


def _is_float_to_int(op: ir.Operation) -> bool:
    source = element_type(op.operands[0])
    target = element_type(op.result)
    if not is_integer(target) or is_bool(target):
        return False
    return is_float(source) or is_complex(source)


def _sandbox(op: ir.Operation) -> None:
    loc = op.location
    target = element_type(op.result)
    int_min, int_max = int_range(target)
    with ir.InsertionPoint(op):
        x = _exact_real(op.operands[0], loc)
        lower = build.filled_like(float(int_min), x, loc=loc)
        upper = build.filled_like(float(int_max + 1), x, loc=loc)
        in_range = build.binary(
            "and",
            build.compare("GT", x, lower, loc=loc),
            build.compare("LT", x, upper, loc=loc),
            loc=loc,
        )
        safe = build.select(in_range, x, build.filled_like(0.0, x, loc=loc), loc=loc)
        converted = build.convert(safe, target, loc=loc)
        below = build.compare("LE", x, lower, loc=loc)
        defined = build.select(below, build.filled_like(int_min, converted, loc=loc), converted, loc=loc)
        above = build.compare("GE", x, upper, loc=loc)
        defined = build.select(above, build.filled_like(int_max, converted, loc=loc), defined, loc=loc)
    build.replace_op(op, [defined])


def _exact_real(x: ir.Value, loc: ir.Location) -> ir.Value:
    """x as a float type in which the bounds are exact: the real part of a
    complex, and f16/bf16 (or narrower) widened to f32, both exactly."""
    element = element_type(x)
    if is_complex(element):
        element = element.element_type
        x = build.unary("real", x, loc=loc, result_type=with_element_type(x, element))
    if bit_width(element) >= 32:
        return x
    return build.convert(x, ir.F32Type.get(element.context), loc=loc)
