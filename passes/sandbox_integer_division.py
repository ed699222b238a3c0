"""webtensor-sandbox-integer-division: integer `divide` and `remainder` with a
defined result for every input.

The StableHLO spec leaves integer division by zero and the overflow of
INT_MIN / -1 open, and LLVM's sdiv/udiv/srem/urem make both undefined
behaviour (x86 traps). WebTensor defines them, for signed (iN) and unsigned
(uiN) integers of every width, as XLA does:

    x / 0        = -1 (all bits set: UINT_MAX for an unsigned type)
    x % 0        = x
    INT_MIN / -1 = INT_MIN    (signed types)
    INT_MIN % -1 = 0

Every other result is unchanged. The divisor is made safe before the
division, so the division op never meets one of these cases, whatever the
backend does with them:

    safe = select(rhs == 0 or (lhs == INT_MIN and rhs == -1), 1, rhs)
    lhs / rhs  ->  select(rhs == 0, -1, lhs / safe)
    lhs % rhs  ->  select(rhs == 0, lhs, lhs % safe)

INT_MIN / 1 is INT_MIN and INT_MIN % 1 is 0, so the overflow case needs no
select of its own.

A signed remainder is computed from the quotient, `lhs - (lhs / safe) * safe`
(wrapping), not with the backend's remainder: MLIR's SPIR-V lowering of a
signed remainder (Vulkan leaves OpSRem undefined for negative operands)
works on absolute values, and |INT_MIN| overflows, so on vulkan-spirv
INT_MIN % 3 gave 2 instead of -2. LLVM folds the expression back into one
`srem` on the CPU. Float and complex division (IEEE-defined) and quantized
types are left alone. Booleans never get here: StableHLO's verifier rejects
`divide` and `remainder` on i1 when the module is parsed.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.types import element_type, int_range, is_integer, is_unsigned
from ..dialects.walk import walk
from .base import ModulePass, Report

DIVIDE = "stablehlo.divide"
REMAINDER = "stablehlo.remainder"


@dataclasses.dataclass(frozen=True)
class SandboxIntegerDivision(ModulePass):
    name = "webtensor-sandbox-integer-division"
    summary = "Define integer divide and remainder for a zero divisor and for INT_MIN / -1"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module):
            if op.name in (DIVIDE, REMAINDER) and is_integer(element_type(op.result)):
                _sandbox(op)


def _sandbox(op: ir.Operation) -> None:
    loc = op.location
    lhs, rhs = op.operands
    with ir.InsertionPoint(op):
        by_zero = build.compare("EQ", rhs, build.filled_like(0, rhs, loc=loc), loc=loc)
        unsafe = by_zero
        if not is_unsigned(element_type(rhs)):
            unsafe = build.binary("or", by_zero, _overflows(lhs, rhs, loc), loc=loc)
        # Dividing by 1 instead already gives INT_MIN / -1 and INT_MIN % -1
        # their defined values; only x / 0 and x % 0 need replacing.
        safe_rhs = build.select(unsafe, build.filled_like(1, rhs, loc=loc), rhs, loc=loc)
        result = _divide_or_remainder(op.name, lhs, safe_rhs, loc)
        by_zero_result = build.filled_like(-1, rhs, loc=loc) if op.name == DIVIDE else lhs
        defined = build.select(by_zero, by_zero_result, result, loc=loc)
    build.replace_op(op, [defined])


def _divide_or_remainder(name: str, lhs: ir.Value, rhs: ir.Value, loc: ir.Location) -> ir.Value:
    """lhs / rhs or lhs % rhs, for a divisor that is neither 0 nor (with
    INT_MIN) -1; a signed remainder through the quotient (see above)."""
    if name == DIVIDE or is_unsigned(element_type(lhs)):
        return build.binary(name.removeprefix("stablehlo."), lhs, rhs, loc=loc)
    quotient = build.binary("divide", lhs, rhs, loc=loc)
    return build.binary("subtract", lhs, build.binary("multiply", quotient, rhs, loc=loc), loc=loc)


def _overflows(lhs: ir.Value, rhs: ir.Value, loc: ir.Location) -> ir.Value:
    """lhs == INT_MIN and rhs == -1: the one signed quotient that does not fit."""
    int_min, _ = int_range(element_type(lhs))
    lhs_is_min = build.compare("EQ", lhs, build.filled_like(int_min, lhs, loc=loc), loc=loc)
    rhs_is_minus_one = build.compare("EQ", rhs, build.filled_like(-1, rhs, loc=loc), loc=loc)
    return build.binary("and", lhs_is_min, rhs_is_minus_one, loc=loc)
