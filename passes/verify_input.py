"""webtensor-verify-input: the front gate, the first pass every module meets.

Only StableHLO, CHLO and the three func ops (func.func, func.return,
func.call) may appear, inside one builtin.module. Everything else is rejected
by name and location before any IREE pass sees the module: an input that
carries IREE-internal ops (`hal.executable` with `llvm.inline_asm`,
`flow.tensor.trace`, `util.global`, ...) or attributes (`hal.device.targets`,
tensor encodings) could otherwise steer IREE into running code the model
author wrote. Every type must be a tensor of a profile element type; function
declarations without a body (calls to the outside world) are refused, and so
are public functions named like IREE's VM's own (`__init`); regions may not
nest deeper than the limit.

The walk is iterative, so a deeply nested module is measured before any
recursive walk could overflow the stack.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import profile
from ..dialects.attributes import attribute, dialects_in_printed, dialects_named
from ..dialects.walk import FUNC, function_type, is_declaration, is_public, symbol_name
from .base import ModulePass, Report

INPUT_DIALECTS = ("stablehlo", "chlo")
# IREE's VM calls a module's @__init and @__deinit itself, and names its own
# functions this way: an entry point named so would be taken for one.
RESERVED_PREFIX = "__"
INPUT_OPS = ("builtin.module", "func.func", "func.return", "func.call")

# Dialects whose ops or attributes steer IREE itself: never from a model.
IREE_INTERNAL = (
    "hal", "flow", "stream", "util", "vm", "iree", "iree_codegen", "iree_gpu",
    "iree_linalg_ext", "iree_encoding", "iree_tensor_ext", "iree_input", "llvm",
    "io_parameters", "check",
)


@dataclasses.dataclass(frozen=True)
class VerifyInput(ModulePass):
    name = "webtensor-verify-input"
    summary = "Reject every op, type and attribute outside the input profile"

    max_region_depth: int = profile.Limits().max_region_depth

    def run(self, module: ir.Operation, report: Report) -> None:
        # An explicit stack: walking a hostile nesting recursively could
        # overflow. The contents of a rejected op are not looked at.
        stack = [(module, 0)]
        while stack:
            op, depth = stack.pop()
            if depth > self.max_region_depth:
                report.error(op, f"regions nest {depth} deep here, above the limit of {self.max_region_depth}")
                return
            if not _check_op(op, op is module, report):
                continue
            for region in op.regions:
                for block in region.blocks:
                    stack.extend((inner.operation, depth + 1) for inner in reversed(list(block.operations)))


def _check_op(op: ir.Operation, is_top: bool, report: Report) -> bool:
    """Checks one op; False if its contents should not be looked at."""
    if not _check_name(op, is_top, report):
        return False
    _check_attributes(op, report)
    _check_types(op, report)
    if op.name == FUNC and is_declaration(op):
        report.error(op, f"function @{symbol_name(op)} has no body: calls to external functions are not allowed")
    if op.name == FUNC and is_public(op) and symbol_name(op).startswith(RESERVED_PREFIX):
        report.error(
            op,
            f"public function @{symbol_name(op)}: names that begin with '{RESERVED_PREFIX}' are "
            "reserved for IREE's VM (its module initializer is @__init); rename the function",
        )
    return True


def _check_name(op: ir.Operation, is_top: bool, report: Report) -> bool:
    name = op.name
    dialect = name.split(".", 1)[0]
    if name == "builtin.module" and not is_top:
        report.error(op, "nested modules are not allowed")
        return False
    if dialect in INPUT_DIALECTS or name in INPUT_OPS:
        return True
    if dialect in IREE_INTERNAL:
        report.error(op, f"'{name}' is an IREE-internal op; a model may contain only StableHLO, CHLO and func ops")
    else:
        report.error(op, f"'{name}' is not allowed; a model may contain only StableHLO, CHLO and func ops")
    return False


def _check_attributes(op: ir.Operation, report: Report) -> None:
    for name in op.attributes:
        if name.split(".", 1)[0] in IREE_INTERNAL:
            report.error(op, f"attribute '{name}' is IREE-internal and not allowed in a model")
            continue
        attr = attribute(op, name)
        if attr is None:
            # Complex data, which the bindings cannot hand us: only its type
            # can name a dialect, and the op's header (data elided) shows it.
            header = op.get_asm(print_generic_op_form=True, large_elements_limit=16, skip_regions=True)
            named = dialects_in_printed(header)
        else:
            named = dialects_named(attr)
        internal = [dialect for dialect in IREE_INTERNAL if dialect in named]
        if internal:
            report.error(op, f"attribute '{name}' refers to the IREE-internal dialect '{internal[0]}'")


def _check_types(op: ir.Operation, report: Report) -> None:
    values = list(op.operands) + list(op.results)
    for region in op.regions:
        for block in region.blocks:
            values.extend(block.arguments)
    if op.name == FUNC:
        ftype = function_type(op)
        types = list(ftype.inputs) + list(ftype.results)
    else:
        types = [v.type for v in values]
    for t in types:
        problem = profile.type_problem(t)
        if problem:
            report.error(op, problem)
            return
