"""webtensor-legalize-composite: replace each `stablehlo.composite` by a call to
its decomposition, which the inliner then folds in.

A composite names a function that implements it in plain StableHLO; running
that function is always correct, so no backend-specific lowering of the
composite is ever trusted. (StableHLO's verifier has already checked, at
parse time, that the decomposition exists and has the composite's types.)
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.walk import COMPOSITE, composite_decomposition, walk
from .base import ModulePass, Report


@dataclasses.dataclass(frozen=True)
class LegalizeComposite(ModulePass):
    name = "webtensor-legalize-composite"
    summary = "Replace stablehlo.composite ops with calls to their decompositions"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module, COMPOSITE):
            callee = composite_decomposition(op)
            with ir.InsertionPoint(op):
                call = build.call(callee, op.operands, [r.type for r in op.results], loc=op.location)
            build.replace_op(op, call.results)
