"""Walking a module: its ops, its functions and their symbols, and the shape
of small region bodies.

IREE's wheel carries no generated StableHLO op classes, so ops are generic
`ir.Operation`s, matched by `op.name`.
"""

from __future__ import annotations

from typing import Iterator

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


def region_combiner(op: ir.Operation) -> str | None:
    """The name of the binary op that op's first region applies to its two
    arguments, `^bb0(%a, %b): %r = NAME %a, %b (or %b, %a); return %r`, or
    None for any other region."""
    blocks = op.regions[0].blocks
    if len(blocks) != 1:
        return None
    args = list(blocks[0].arguments)
    body = [o.operation for o in blocks[0].operations]
    if len(args) != 2 or len(body) != 2:
        return None
    combine, ret = body
    if ret.name != "stablehlo.return" or list(ret.operands) != list(combine.results):
        return None
    if list(combine.operands) not in (args, args[::-1]):
        return None
    return combine.name
