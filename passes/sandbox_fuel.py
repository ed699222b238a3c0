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

A counted loop, the form JAX emits for `scan` and for `fori_loop` with
constant bounds (a counter that starts at a constant, steps by one and is
compared with a constant), has a trip count known at compile time, and its
condition stays as it was. That matters for speed: IREE turns such a loop
into a counted `for` and runs it without asking the host after every
iteration, which a budget check in the condition prevents (a 50-step scan
ran 4 to 6 times slower with one). A counted loop is charged up front:

- A counted loop with no loop inside, while the function's counted loops
  together stay within UNGUARDED_ITERATIONS, just runs and is charged its
  trip count. Once the budget is gone, these loops can still run their
  iterations, but all of them together at most UNGUARDED_ITERATIONS times,
  with bodies that hold no loops: a bounded amount of work. (Wrapping them
  in a check, too, cost a 50-step scan a third of its speed.)
- Any other counted loop runs only if the budget covers all its
  iterations (`if (fuel >= count)`); loops nested in it check the budget
  themselves.

The function gets the unit attribute `webtensor.fuel`, which tells the
signature writer to describe the extra argument and result to the runtime.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import loops
from ..dialects import stablehlo as shlo
from .base import ModulePass, Report

FUEL_ATTR = "webtensor.fuel"
WHILE = "stablehlo.while"
UNGUARDED_ITERATIONS = 100_000
# The most a loop is charged: i64's largest value, beyond any budget the
# runtime accepts (2^62), so that a trip count of up to 2^64 - 1 never wraps.
LARGEST_CHARGE = (1 << 63) - 1
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
    remaining = _Threader().block(block, fuel)
    _append_operand(list(block.operations)[-1], remaining)
    ftype = shlo.function_type(func)
    new_type = ir.FunctionType.get(
        list(ftype.inputs) + [fuel_type(context)], list(ftype.results) + [fuel_type(context)], context=context
    )
    func.attributes["function_type"] = ir.TypeAttr.get(new_type, context=context)
    func.attributes[FUEL_ATTR] = ir.UnitAttr.get(context)


class _Threader:
    """Threads the budget through one function, remembering how many
    iterations of unguarded counted loops it has allowed."""

    def __init__(self):
        self.unguarded = 0

    def block(self, block: ir.Block, fuel: ir.Value, in_counted: bool = False) -> ir.Value:
        """Threads `fuel` through the loops and branches of `block`; returns
        what is left. `in_counted`: the block runs inside a counted loop,
        which does not check the budget, so nothing in it may run unguarded."""
        for op in list(block.operations):
            op = op.operation
            if op.name == WHILE:
                fuel = self.loop(op, fuel, in_counted)
            elif op.name in BRANCHES and _contains_loop(op):
                fuel = self.branches(op, fuel, in_counted)
        return fuel

    def loop(self, op: ir.Operation, fuel: ir.Value, in_counted: bool) -> ir.Value:
        counted = loops.counted_loop(op)
        if counted is None:
            bounded = loops.bounded_loop(op)
            if bounded is not None and not _contains_loop_inside(op):
                return _clamped_loop(op, bounded, fuel)
            return self.checked_loop(op, fuel, in_counted)
        count = counted.trip_count
        leaf = not _contains_loop_inside(op)
        if leaf and not in_counted and self.unguarded + count <= UNGUARDED_ITERATIONS:
            self.unguarded += count
            with ir.InsertionPoint(op):
                return shlo.binary("subtract", fuel, shlo.splat(count, fuel.type, loc=op.location), loc=op.location)
        return self.guarded_loop(op, fuel, count)

    def checked_loop(self, op: ir.Operation, fuel: ir.Value, in_counted: bool) -> ir.Value:
        """A loop that checks and spends the budget on every iteration."""
        loc = op.location
        new, cond_fuel, body_fuel = _carrying_fuel(op, fuel)
        _guard_condition(new.regions[0].blocks[0], cond_fuel, loc)
        body = new.regions[1].blocks[0]
        left = self.block(body, body_fuel, in_counted)
        terminator = list(body.operations)[-1]
        with ir.InsertionPoint(terminator):
            spent = shlo.binary("subtract", left, shlo.splat(1, fuel.type, loc=loc), loc=loc)
        _append_operand(terminator, spent)
        return new.results[-1]

    def guarded_loop(self, op: ir.Operation, fuel: ir.Value, count: int) -> ir.Value:
        """`if (fuel >= count) {loop} else {skip}`, with `fuel - count` left,
        or -1 when skipped: charging the count then could wrap around a
        budget that several huge loops overdraw.

        The loop's own condition is untouched. If its body holds loops, the
        budget is carried through the body for them."""
        loc = op.location
        with ir.InsertionPoint(op):
            needed = shlo.splat(min(count, LARGEST_CHARGE), fuel.type, loc=loc)
            covered = shlo.compare("GE", fuel, needed, loc=loc)
            charged = shlo.binary("subtract", fuel, needed, loc=loc)
            overdrawn = shlo.splat(-1, fuel.type, loc=loc)
        carries = _contains_loop_inside(op)
        if carries:
            loop, _, body_fuel = _carrying_fuel(op, charged)
            body = loop.regions[1].blocks[0]
            _append_operand(list(body.operations)[-1], self.block(body, body_fuel, in_counted=True))
            skipped = list(loop.operands)[:-1] + [overdrawn]  # the initial values
        else:
            loop, skipped = op, list(op.operands) + [overdrawn]
        results = list(loop.results) if carries else list(loop.results) + [charged]
        with ir.InsertionPoint(loop):
            guard = shlo.create("stablehlo.if", [r.type for r in results], [covered], loc=loc, regions=2)
        for old, new in zip(loop.results, guard.results):
            old.replace_all_uses_with(new)
        run = guard.regions[0].blocks.append()
        with ir.InsertionPoint(run):
            returned = shlo.create("stablehlo.return", [], results, loc=loc)
        loop.move_before(returned)
        with ir.InsertionPoint(guard.regions[1].blocks.append()):
            # Not enough fuel: the call fails, so the skipped results do not matter.
            shlo.create("stablehlo.return", [], skipped, loc=loc)
        return guard.results[-1]

    def branches(self, op: ir.Operation, fuel: ir.Value, in_counted: bool) -> ir.Value:
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
            left = self.block(block, fuel, in_counted)  # branches read the fuel from above
            _append_operand(list(block.operations)[-1], left)
        shlo.replace_op(op, list(new.results)[:-1])
        return new.results[-1]


def _clamped_loop(op: ir.Operation, bounded: loops.BoundedLoop, fuel: ir.Value) -> ir.Value:
    """A loop whose trip count is known when it starts, with no loop inside:
    charged its count up front, and its limit lowered so that it runs at
    most as many iterations as the budget has left:

        count = max(limit, start) - start                (in i64)
        limit' = start + min(count, max(fuel, 0))
        fuel' = fuel >= count ? fuel - count : -1

    Short of fuel, the loop stops early and the call fails, so what it
    computed is never seen. Unlike a check in the condition, this keeps the
    loop as it was; unlike `if (fuel >= count)`, it needs no host round trip
    before the loop."""
    loc = op.location
    i64 = shlo.element_type(fuel)
    limit_type = bounded.end.type
    with ir.InsertionPoint(op):
        start = shlo.splat(bounded.start, fuel.type, loc=loc)
        zero = shlo.splat(0, fuel.type, loc=loc)
        end = shlo.convert(bounded.end, i64, loc=loc)
        count = shlo.binary("subtract", shlo.binary("maximum", end, start, loc=loc), start, loc=loc)
        allowed = shlo.binary("minimum", count, shlo.binary("maximum", fuel, zero, loc=loc), loc=loc)
        limit = shlo.convert(shlo.binary("add", start, allowed, loc=loc), shlo.element_type(limit_type), loc=loc)
        covered = shlo.compare("GE", fuel, count, loc=loc)
        left = shlo.select(
            covered, shlo.binary("subtract", fuel, count, loc=loc), shlo.splat(-1, fuel.type, loc=loc), loc=loc
        )
    if bounded.carried is None:
        bounded.compare.operands[1] = limit
    else:
        # The body hands the limit back unchanged, so the loop's result for
        # it is the original limit, whatever the loop compares with.
        op.results[bounded.carried].replace_all_uses_with(bounded.end)
        op.operands[bounded.carried] = limit
    return left


def _carrying_fuel(op: ir.Operation, fuel: ir.Value):
    """Replaces the while `op` by one that carries `fuel` as its last value.

    Returns the new loop and the fuel argument of its condition and body."""
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
    cond_fuel = cond_block.add_argument(fuel.type, loc)
    body_fuel = body_block.add_argument(fuel.type, loc)
    shlo.replace_op(op, list(new.results)[:-1])
    # A body that does not touch the budget hands it back unchanged.
    return new, cond_fuel, body_fuel


def _contains_loop_inside(op: ir.Operation) -> bool:
    return len(shlo.walk(op, WHILE)) > 1


def _guard_condition(cond_block: ir.Block, fuel: ir.Value, loc: ir.Location) -> None:
    """The loop continues only while its condition holds and fuel >= 0."""
    terminator = list(cond_block.operations)[-1]
    condition = terminator.operands[0]
    with ir.InsertionPoint(terminator):
        has_fuel = shlo.compare("GE", fuel, shlo.splat(0, fuel.type, loc=loc), loc=loc)
        guarded = shlo.binary("and", condition, has_fuel, loc=loc)
    terminator.operands[0] = guarded


def _append_operand(terminator: ir.Operation, value: ir.Value) -> None:
    """Recreates a return-like terminator with one more operand."""
    terminator = terminator.operation
    with ir.InsertionPoint(terminator):
        shlo.create(terminator.name, [], list(terminator.operands) + [value], loc=terminator.location)
    terminator.erase()
