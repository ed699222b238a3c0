"""Typed helpers for the StableHLO ops our passes read and build.

IREE's wheel carries no generated StableHLO op classes, so ops are generic
`ir.Operation`s. Everything a pass needs to know about an op's operands,
attributes and types goes through a helper here, so that passes read as
intent ("the gather's start_index_map") and the one place that knows the
attribute syntax is this module.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from iree.compiler import ir

FUNC = "func.func"
CALL = "func.call"
RETURN = "func.return"
COMPOSITE = "stablehlo.composite"


def walk(root: ir.Operation, name: str | None = None) -> list[ir.Operation]:
    """Every op under `root` (pre-order), optionally only those named `name`.

    Collected into a list first, so callers may rewrite while iterating.
    """
    found: list[ir.Operation] = []

    def visit(op):
        op = op.operation
        if name is None or op.name == name:
            found.append(op)
        return ir.WalkResult.ADVANCE

    root.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found


def functions(module: ir.Operation) -> Iterator[ir.Operation]:
    for op in module.regions[0].blocks[0].operations:
        if op.operation.name == FUNC:
            yield op.operation


def symbol_name(op: ir.Operation) -> str:
    return ir.StringAttr(op.attributes["sym_name"]).value


def is_public(func: ir.Operation) -> bool:
    if "sym_visibility" not in func.attributes:
        return True
    return ir.StringAttr(func.attributes["sym_visibility"]).value == "public"


def is_declaration(func: ir.Operation) -> bool:
    """A func.func without a body: an external function."""
    return len(func.regions[0].blocks) == 0


def function_type(func: ir.Operation) -> ir.FunctionType:
    return ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)


def flat_symbol(op: ir.Operation, attr_name: str) -> str:
    return ir.FlatSymbolRefAttr(op.attributes[attr_name]).value


def composite_decomposition(op: ir.Operation) -> str:
    return flat_symbol(op, "decomposition")


def create(
    name: str,
    result_types: Sequence[ir.Type],
    operands: Sequence[ir.Value],
    attributes: dict[str, ir.Attribute] | None = None,
    *,
    loc: ir.Location,
) -> ir.Operation:
    """Creates an op at the current insertion point."""
    return ir.Operation.create(
        name,
        results=list(result_types),
        operands=list(operands),
        attributes=attributes or {},
        loc=loc,
    )


def call(callee: str, operands: Sequence[ir.Value], result_types: Sequence[ir.Type], *, loc) -> ir.Operation:
    return create(
        CALL,
        result_types,
        operands,
        {"callee": ir.FlatSymbolRefAttr.get(callee)},
        loc=loc,
    )


def replace_op(op: ir.Operation, new_values: Sequence[ir.Value]) -> None:
    """Replaces every use of op's results, in order, then erases op."""
    for old, new in zip(op.results, new_values):
        old.replace_all_uses_with(new)
    op.erase()
