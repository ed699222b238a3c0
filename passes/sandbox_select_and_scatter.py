"""webtensor-sandbox-select-and-scatter: select_and_scatter picks the element
XLA picks.

In each window, select_and_scatter keeps a current element and offers it
the window's elements in order; the spec leaves that schedule to the
implementation. XLA (and so jax.grad of max pooling) keeps the current
element c over a candidate x when select(c, x) holds. IREE 3.13 calls the
region the other way round: it takes x when select(x, c) holds. With
select = GE, ties go to the last maximum instead of the first, and a NaN is
kept where XLA moves on (or the other way round), so gradients through max
pooling of, say, ReLU outputs (full of tied zeros) differ from JAX's. The
sandbox rewrites the region so that IREE's call order computes XLA's:

    select'(x, c) = not select(c, x)

IREE takes x exactly when XLA would not keep c. This depends on IREE's
lowering; tests/unit/test_sandbox_windows.py pins it against jax.grad.

Reading uninitialized memory, as IREE's warning about a tensor.empty
suggests, does not happen: the running value starts uninitialized, but
IREE's lowering takes the window's first element unconditionally (its index
starts at -1), so the uninitialized value never reaches a result. Windows
are never empty: IREE 3.13 lowers select_and_scatter only when the windows
tile the operand (window == stride, no padding attribute) and rejects the
rest with a clean compile error; JAX pads explicitly, so SAME max pooling
with tiling windows compiles.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import stablehlo as shlo
from .base import ModulePass, Report

SELECT_AND_SCATTER = "stablehlo.select_and_scatter"


@dataclasses.dataclass(frozen=True)
class SandboxSelectAndScatter(ModulePass):
    name = "webtensor-sandbox-select-and-scatter"
    summary = "Make select_and_scatter choose, in every window, the element XLA chooses"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in shlo.walk(module, SELECT_AND_SCATTER):
            _swap_select(op)


def _swap_select(op: ir.Operation) -> None:
    """Rewrites the select region in place: a swapped copy of its body, then
    `not`, then the original body (now unused) erased."""
    loc = op.location
    block = op.regions[0].blocks[0]
    original = [o.operation for o in block.operations]
    candidate, current = block.arguments
    terminator = original[-1]
    with ir.InsertionPoint(terminator):
        keep_current = shlo.inline_block(block, [current, candidate])[0]
        terminator.operands[0] = shlo.unary("not", keep_current, loc=loc)
    for unused in reversed(original[:-1]):
        unused.erase()
