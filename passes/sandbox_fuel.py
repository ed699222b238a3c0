"""webtensor-sandbox-fuel: a per-call iteration budget shared by every loop.

Every public function that contains a `stablehlo.while` takes one more
argument, the budget (`tensor<i64>`), and returns one more result, what is
left of it. The budget is threaded through the program as a loop-carried
value: each iteration of any loop spends one unit, nested loops spend from
the same budget, and `if`/`case` branches pass it through.

A loop keeps going only while its own condition holds and the budget is not
negative. A loop that wants iteration B+1 of a budget of B gets to run it,
and leaves the budget at -1; from then on every loop stops at its first
check, so the call ends promptly. A negative budget after the call means it
ran out: the runtime raises `BudgetExceeded` and returns no outputs. A loop
that finishes naturally after exactly B iterations leaves 0 and is fine.

The function gets the unit attribute `webtensor.fuel`, which tells the
signature writer to describe the extra argument and result to the runtime.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import stablehlo as shlo
from .base import ModulePass, Report

FUEL_ATTR = "webtensor.fuel"
WHILE = "stablehlo.while"
BRANCHES = ("stablehlo.if", "stablehlo.case")


@dataclasses.dataclass(frozen=True)
class SandboxFuel(ModulePass):
    name = "webtensor-sandbox-fuel"
    summary = "Give every call an iteration budget that all its loops spend"

    def run(self, module: ir.Operation, report: Report) -> None:
        for func in shlo.functions(module):
            if shlo.is_declaration(func) or not _contains_loop(func):
                continue
            _add_fuel(func)


def _contains_loop(op: ir.Operation) -> bool:
    return bool(shlo.walk(op, WHILE))


def fuel_type(context: ir.Context) -> ir.RankedTensorType:
    return shlo.ranked([], ir.IntegerType.get_signless(64, context))


def _add_fuel(func: ir.Operation) -> None:
    context = func.context
    block = func.regions[0].blocks[0]
    fuel = block.add_argument(fuel_type(context), func.location)
    remaining = _thread_block(block, fuel)
    terminator = list(block.operations)[-1]
    _append_operand(terminator, remaining)
    ftype = shlo.function_type(func)
    new_type = ir.FunctionType.get(
        list(ftype.inputs) + [fuel_type(context)], list(ftype.results) + [fuel_type(context)], context=context
    )
    func.attributes["function_type"] = ir.TypeAttr.get(new_type, context=context)
    func.attributes[FUEL_ATTR] = ir.UnitAttr.get(context)


def _thread_block(block: ir.Block, fuel: ir.Value) -> ir.Value:
    """Threads `fuel` through the loops and branches of `block`; returns what is left."""
    for op in list(block.operations):
        op = op.operation
        if op.name == WHILE:
            fuel = _rewrite_while(op, fuel)
        elif op.name in BRANCHES and _contains_loop(op):
            fuel = _rewrite_branches(op, fuel)
    return fuel


def _rewrite_while(op: ir.Operation, fuel: ir.Value) -> ir.Value:
    loc = op.location
    with ir.InsertionPoint(op):
        new = shlo.create(
            WHILE,
            [r.type for r in op.results] + [fuel.type],
            list(op.operands) + [fuel],
            loc=loc,
            regions=2,
        )
    cond_block, body_block = op.regions[0].blocks[0], op.regions[1].blocks[0]
    cond_block.append_to(new.regions[0])
    body_block.append_to(new.regions[1])
    _guard_condition(cond_block, cond_block.add_argument(fuel.type, loc), loc)
    body_fuel = body_block.add_argument(fuel.type, loc)
    left = _thread_block(body_block, body_fuel)
    terminator = list(body_block.operations)[-1]
    with ir.InsertionPoint(terminator):
        spent = shlo.binary("subtract", left, shlo.splat(1, fuel.type, loc=loc), loc=loc)
    _append_operand(terminator, spent)
    shlo.replace_op(op, list(new.results)[:-1])
    return new.results[-1]


def _guard_condition(cond_block: ir.Block, fuel: ir.Value, loc: ir.Location) -> None:
    """The loop continues only while its condition holds and fuel >= 0."""
    terminator = list(cond_block.operations)[-1]
    condition = terminator.operands[0]
    with ir.InsertionPoint(terminator):
        has_fuel = shlo.compare("GE", fuel, shlo.splat(0, fuel.type, loc=loc), loc=loc)
        guarded = shlo.binary("and", condition, has_fuel, loc=loc)
    terminator.operands[0] = guarded


def _rewrite_branches(op: ir.Operation, fuel: ir.Value) -> ir.Value:
    """An if or case whose branches contain loops returns what they leave."""
    loc = op.location
    with ir.InsertionPoint(op):
        new = shlo.create(
            op.name,
            [r.type for r in op.results] + [fuel.type],
            list(op.operands),
            loc=loc,
            regions=len(op.regions),
        )
    for old_region, new_region in zip(op.regions, new.regions):
        block = old_region.blocks[0]
        block.append_to(new_region)
        left = _thread_block(block, fuel)  # branches read the fuel from above
        _append_operand(list(block.operations)[-1], left)
    shlo.replace_op(op, list(new.results)[:-1])
    return new.results[-1]


def _append_operand(terminator: ir.Operation, value: ir.Value) -> None:
    """Recreates a return-like terminator with one more operand."""
    terminator = terminator.operation
    with ir.InsertionPoint(terminator):
        shlo.create(terminator.name, [], list(terminator.operands) + [value], loc=terminator.location)
    terminator.erase()
