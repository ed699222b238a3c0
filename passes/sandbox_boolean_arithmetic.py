"""webtensor-sandbox-boolean-arithmetic: add and multiply on booleans are
logical or and logical and, as the StableHLO spec says.

IREE 3.13 lowers an i1 `add` to integer addition, which wraps (true + true
is false), and an i1 `multiply` to integer multiplication. Rewriting them to
`or` and `and` gives the spec's results on every target.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.types import element_type, is_bool
from ..dialects.walk import walk
from .base import ModulePass, Report

LOGICAL = {"stablehlo.add": "or", "stablehlo.multiply": "and"}


@dataclasses.dataclass(frozen=True)
class SandboxBooleanArithmetic(ModulePass):
    name = "webtensor-sandbox-boolean-arithmetic"
    summary = "Make add and multiply on booleans the logical or and and of the spec"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module):
            logical = LOGICAL.get(op.name)
            if logical is None or not is_bool(element_type(op.results[0])):
                continue
            with ir.InsertionPoint(op):
                result = build.binary(logical, op.operands[0], op.operands[1], loc=op.location)
            build.replace_op(op, [result])
