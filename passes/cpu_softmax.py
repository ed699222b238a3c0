"""webtensor-cpu-softmax: keep IREE from turning a softmax into its own
softmax op on the CPU, where that op's code is slow.

IREE's global optimizer recognises

    m = reduce(x, maximum)        e = exponential(x - broadcast(m))
    s = reduce(e, add)            y = e / broadcast(s)

and replaces it with `linalg.softmax`, whose llvm-cpu code in IREE 3.13 is
slow on long rows: on 6x1500x1500 f32 (Whisper-tiny's encoder attention)
1.0 s of CPU, against 0.08 s for the same ops left as they are and compiled
without aggressive fusion (which the backend turns off for such modules,
compiler/backend.py). Whisper's whole encoder spent 87% of its time there
(bench/profile_dispatches.py).

The recognition keys on `x - broadcast(m)` with m a maximum over x. Where
the rows are LONG_ROW elements or longer, this pass writes that subtraction
as `x + negate(broadcast(m))`, which IEEE arithmetic defines to be the same
value, bit for bit, for every x and m (signed zeros, infinities and NaN
included): the program means exactly what it meant, and only IREE's pattern
no longer matches. It runs in the lower phase, after the sandbox and the
work budget, for the llvm-cpu target only (the GPU targets' softmax code is
their own).
"""

from __future__ import annotations

import dataclasses
import math

from iree.compiler import ir

from ..dialects import build
from ..dialects.attributes import dense_i64_array
from ..dialects.types import element_type, has_static_shape, is_float, shape
from ..dialects.walk import region_combiner, walk
from ..dialects.webtensor import LONG_ROW
from .base import ModulePass, Report

SUBTRACT = "stablehlo.subtract"
# What may stand between the row maximum and the subtraction, besides JAX's
# maximum with -inf: broadcasts and reshapes that line it up with x.
_SHAPING = ("stablehlo.broadcast_in_dim", "stablehlo.reshape")


@dataclasses.dataclass(frozen=True)
class CpuSoftmax(ModulePass):
    name = "webtensor-cpu-softmax"
    summary = "Write softmax's x - max(x) as x + -max(x), bit for bit, so that IREE's slow CPU softmax op is not used"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module, SUBTRACT):
            x, shifted = op.operands
            if is_float(element_type(x)) and _row_maximum_length(shifted, x) >= LONG_ROW:
                _add_negated(op)


def _row_maximum_length(value: ir.Value, x: ir.Value, depth: int = 0) -> int:
    """How many elements of x each element of `value` is the maximum of,
    where `value` is x's maximum over some dimensions broadcast back
    (through at most a few shaping ops: JAX emits three); else 0."""
    owner = value.owner
    if depth > 6 or not isinstance(owner, ir.OpView):
        return 0
    op = owner.operation
    if op.name == "stablehlo.reduce":
        if len(op.operands) != 2 or op.operands[0] != x or region_combiner(op) != "stablehlo.maximum":
            return 0
        dims = dense_i64_array(op, "dimensions")
        return math.prod(shape(x)[d] for d in dims) if has_static_shape(x) else 0
    if op.name == "stablehlo.maximum":  # JAX's maximum(-inf, m): either side may lead to m
        return max(_row_maximum_length(v, x, depth + 1) for v in op.operands)
    return _row_maximum_length(op.operands[0], x, depth + 1) if op.name in _SHAPING else 0


def _add_negated(op: ir.Operation) -> None:
    loc = op.location
    x, shifted = op.operands
    with ir.InsertionPoint(op):
        negated = build.unary("negate", shifted, loc=loc)
        result = build.binary("add", x, negated, loc=loc)
    build.replace_op(op, [result])
