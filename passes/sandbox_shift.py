"""webtensor-sandbox-shift: shifts by the bit width or more, with a defined
result.

LLVM's shl/lshr/ashr give poison when the amount is at least the bit width,
and hardware masks the amount (x86 shifts an i32 by `amount & 31`). WebTensor
defines every amount as XLA does. The amount is read as unsigned, so a
negative amount is a huge one. For an amount of at least the bit width w:

    shift_left(x, amount)             = 0
    shift_right_logical(x, amount)    = 0
    shift_right_arithmetic(x, amount) = the sign fill: every bit a copy of
                                        x's top bit (x < 0 ? -1 : 0 for iN)

Amounts below w give the usual result. Like XLA, shift_right_arithmetic of
an unsigned type reads the top bit as a sign in range too (ui8 200 >> 1 is
228), and so does its fill (ui8 200 >> 8 is 255).

The rewrite never hands the shift an out-of-range amount:

    too_far = amount >= w, unsigned: (a < 0 or a >= w) for iN, a >= w for uiN
    shift_left(x, a)             -> select(too_far, 0, shift_left(x, select(too_far, 0, a)))
    shift_right_logical(x, a)    -> the same
    shift_right_arithmetic(x, a) -> shift_right_arithmetic(x, select(too_far, w - 1, a))

A shift right by w - 1 is exactly the sign fill. A 64-bit shift_left or
shift_right_logical by 0 gives x by a select of its own: IREE's SPIR-V code
generation emulates 64-bit integers with two 32-bit words, and its shift by
0 also shifts a word by 32, which SPIR-V leaves undefined (on vulkan-spirv,
1 << 0 came back as 2^32 + 1). A signed amount is read as
unsigned with two signed comparisons, not with compare_type UNSIGNED (which
the spec does not allow on iN, and IREE 3.13 ignores there) nor with a
bitcast_convert to uiN (IREE 3.13 cannot compile dynamically shaped uiN).
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.types import bit_width, element_type, is_unsigned
from ..dialects.walk import walk
from .base import ModulePass, Report

SHIFT_LEFT = "stablehlo.shift_left"
SHIFT_RIGHT_LOGICAL = "stablehlo.shift_right_logical"
SHIFT_RIGHT_ARITHMETIC = "stablehlo.shift_right_arithmetic"
SHIFTS = (SHIFT_LEFT, SHIFT_RIGHT_LOGICAL, SHIFT_RIGHT_ARITHMETIC)


@dataclasses.dataclass(frozen=True)
class SandboxShift(ModulePass):
    name = "webtensor-sandbox-shift"
    summary = "Define shifts by the bit width or more (and by negative amounts)"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module):
            if op.name in SHIFTS:
                _sandbox(op)


def _sandbox(op: ir.Operation) -> None:
    loc = op.location
    x, amount = op.operands
    width = bit_width(element_type(x))
    with ir.InsertionPoint(op):
        too_far = _at_least_width(amount, width, loc)
        if op.name == SHIFT_RIGHT_ARITHMETIC:
            capped = build.select(too_far, build.filled_like(width - 1, amount, loc=loc), amount, loc=loc)
            defined = build.binary("shift_right_arithmetic", x, capped, loc=loc)
        else:
            zero = build.filled_like(0, amount, loc=loc)
            safe_amount = build.select(too_far, zero, amount, loc=loc)
            shifted = build.binary(op.name.removeprefix("stablehlo."), x, safe_amount, loc=loc)
            if width == 64:
                by_zero = build.compare("EQ", amount, zero, loc=loc)
                shifted = build.select(by_zero, x, shifted, loc=loc)
            defined = build.select(too_far, zero, shifted, loc=loc)
    build.replace_op(op, [defined])


def _at_least_width(amount: ir.Value, width: int, loc: ir.Location) -> ir.Value:
    """amount >= width, with amount read as unsigned."""
    too_far = build.compare("GE", amount, build.filled_like(width, amount, loc=loc), loc=loc)
    if is_unsigned(element_type(amount)):
        return too_far
    negative = build.compare("LT", amount, build.filled_like(0, amount, loc=loc), loc=loc)
    return build.binary("or", negative, too_far, loc=loc)
