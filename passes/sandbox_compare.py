"""webtensor-sandbox-compare: integer compares read their operands as the
compare's own type says, SIGNED or UNSIGNED.

StableHLO lets a compare choose how to read integers: `compare LT, a, b,
UNSIGNED` on signless i32 orders -1 as 2^32 - 1. IREE 3.13 ignores that
choice and reads the operands as their element type implies (signed for
signless, unsigned for uiN): 0 <u -1 comes out false, and a loop meant to
run four billion times runs none. Flipping the sign bit of both operands
turns one order into the other, so such a compare becomes

    compare LT, a, b, UNSIGNED   (a, b signless)
      -> compare LT, a xor MIN, b xor MIN, SIGNED

which IREE gets right. Compares whose type matches their element type, and
EQ/NE (which do not depend on it), are left alone.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.attributes import comparison_direction, comparison_type
from ..dialects.types import element_type, is_bool, is_integer, is_unsigned
from ..dialects.walk import walk
from .base import ModulePass, Report

COMPARE = "stablehlo.compare"


def natural_compare_type(element: ir.Type) -> str:
    """How IREE reads integers of this element type."""
    return "UNSIGNED" if is_unsigned(element) or is_bool(element) else "SIGNED"


@dataclasses.dataclass(frozen=True)
class SandboxCompare(ModulePass):
    name = "webtensor-sandbox-compare"
    summary = "Make integer compares read their operands as SIGNED or UNSIGNED as they say"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module, COMPARE):
            lhs, rhs = op.operands
            element = element_type(lhs)
            kind = comparison_type(op)
            if not is_integer(element) or kind not in ("SIGNED", "UNSIGNED"):
                continue
            natural = natural_compare_type(element)
            if kind == natural or comparison_direction(op) in ("EQ", "NE"):
                continue
            loc = op.location
            with ir.InsertionPoint(op):
                sign = build.splat(_sign_bit(element), lhs.type, loc=loc)
                flipped = [build.binary("xor", v, sign, loc=loc) for v in (lhs, rhs)]
                result = build.compare(comparison_direction(op), *flipped, loc=loc, compare_type=natural)
            build.replace_op(op, [result])


def _sign_bit(element: ir.IntegerType) -> int | bool:
    """The value whose bits are the sign bit alone, in the element type."""
    if is_bool(element):
        return True
    top = 1 << (element.width - 1)
    return top if is_unsigned(element) else -top
