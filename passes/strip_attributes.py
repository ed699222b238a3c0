"""webtensor-strip-attributes: drop every discardable attribute.

Discardable attributes (`jax.result_info`, `mhlo.sharding`,
`mhlo.frontend_attributes`, ...) carry no StableHLO semantics, but a backend
may read them. Only what the StableHLO ops and func.func define themselves is
kept, so nothing a model author wrote beside the program reaches IREE.
webtensor-verify-input has already rejected IREE-internal ones with an error.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects.walk import FUNC, walk
from .base import ModulePass, Report

# func.func's own attributes; argument and result attributes are all
# discardable, so they go too.
FUNC_ATTRIBUTES = ("sym_name", "function_type", "sym_visibility")


@dataclasses.dataclass(frozen=True)
class StripAttributes(ModulePass):
    name = "webtensor-strip-attributes"
    summary = "Remove discardable attributes from every op, function and the module"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module):
            for name in [n for n in op.attributes if _discardable(op, n)]:
                del op.attributes[name]


def _discardable(op: ir.Operation, name: str) -> bool:
    if op.name == FUNC:
        return name not in FUNC_ATTRIBUTES
    if op.name == "builtin.module":
        return name != "sym_name"
    # Inherent attributes of StableHLO ops have plain names; discardable ones
    # are prefixed with their dialect.
    return "." in name
