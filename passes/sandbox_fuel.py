"""webtensor-sandbox-fuel: a per-call work budget that every loop spends.

A call's budget is counted in work units (dialects/cost.py: about a tenth of
a nanosecond of CPU time each, by a deliberately pessimistic static cost
model). This pass prices the program and makes its loops pay:

- Every public function gets `webtensor.cost`, the units of everything it
  runs outside loops (a branch at its dearest), of the counted loops in its
  body, and its loops' reserve (below). The runtime charges that up front,
  before anything runs: work that does not fit the budget never starts.
- Every loop gets a per-iteration charge: a fixed ITERATION_UNITS, plus its
  condition, plus its body without the loops nested in it (which charge
  themselves). The charges, in program order, are the function's
  `webtensor.loop_costs`.

A function that contains a `stablehlo.while` takes one more argument, what
is left of the budget after the up-front charge (`tensor<i64>`), and returns
one more result, what is left at the end. The budget is threaded through the
program as a loop-carried value: nested loops spend from the same budget, and
`if`/`case` branches pass it through.

A loop whose condition is data checks the budget before every iteration,
runs one while the budget is not negative, and spends the iteration's
charge. Its last iteration may take the budget below zero, by at most its
charge (and the charges of loops nested in it): the function's up-front cost
includes the largest such overdraft (its reserve), so a call that can pay
its cost never does more work than its budget. Once the budget is negative,
every loop stops at its first check, so the call ends promptly. A negative
budget after the call means it ran out: the runtime raises
`BudgetExceeded` and returns no outputs. A loop that finishes naturally
having spent exactly the budget leaves 0 and is fine.

A counted loop, the form JAX emits for `scan` and for `fori_loop` with
constant bounds (a counter that starts at a constant, steps by one and is
compared with a constant), has a trip count known at compile time, and its
condition stays as it was. That matters for speed: IREE turns such a loop
into a counted `for` and runs it without asking the host after every
iteration, which a budget check in the condition prevents (a 50-step scan
ran 4 to 6 times slower with one). A counted loop is charged its trip count
times its iteration charge, up front:

- In the function's body, a counted loop with no loop inside always runs
  all of it: it is part of the up-front cost, and needs nothing in the
  program. A function whose loops are all of this kind takes no budget.
- Elsewhere (in a branch, in another loop's body), a counted loop with no
  loop inside, while such loops together cost at most UNGUARDED_UNITS, just
  runs and is charged. Once the budget is gone, these loops can still run,
  but all of them together do at most UNGUARDED_UNITS of work, which the
  up-front cost reserves. (Wrapping them in a check, too, cost a 50-step
  scan a third of its speed.)
- Any other counted loop runs only if the budget covers all its
  iterations (`if (fuel >= charge)`); loops nested in it check the budget
  themselves.

The function gets the unit attribute `webtensor.fuel`, which tells the
signature writer to describe the extra argument and result to the runtime.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import cost, loops
from ..dialects import build
from ..dialects.attributes import i64_array_attr
from ..dialects.types import element_type, ranked
from ..dialects.walk import function_type, functions, is_declaration, walk
from ..dialects.profile import Limits, dynamic_bound
from ..dialects.webtensor import COST_ATTR, FUEL_ATTR, LOOP_COSTS_ATTR
from .base import ModulePass, Report

WHILE = "stablehlo.while"
# About a tenth of a second of work (cost.py's units).
UNGUARDED_UNITS = 1_000_000_000
# The most anything is charged: i64's largest value, beyond any budget the
# runtime accepts (MAX_BUDGET), so that a charge never wraps.
LARGEST_CHARGE = (1 << 63) - 1
MAX_BUDGET = 1 << 62  # runtime/limits.py's MAX_FUEL
BRANCHES = ("stablehlo.if", "stablehlo.case")


@dataclasses.dataclass(frozen=True)
class SandboxFuel(ModulePass):
    name = "webtensor-sandbox-fuel"
    summary = "Price every call and make its loops pay from one work budget"

    # The host's bound for dynamic dims that declare none (Limits'
    # dynamic_dim_bound); 0 for none.
    dynamic_dim_bound: int = 0

    def run(self, module: ir.Operation, report: Report) -> None:
        limits = Limits(dynamic_dim_bound=self.dynamic_dim_bound or None)
        for func in functions(module):
            if is_declaration(func):
                continue
            dim_bound = _dim_bound(func, limits)
            body = func.regions[0].blocks[0]
            # The program as written is priced, not the budget's own bookkeeping.
            loop_free = cost.block_cost(body, dim_bound, skip=_is_loop)
            threader = _Threader(dim_bound)
            if _contains_loop(func):
                _add_fuel(func, threader)
            # Up front: the loop-free work, the counted loops that always run,
            # and what the loops may overdraw (a checked loop's last iteration,
            # the unguarded counted loops), so that a call that can pay its
            # cost never does more work than its budget.
            upfront = min(loop_free + threader.upfront + threader.reserve + threader.unguarded, LARGEST_CHARGE)
            context = func.context
            i64 = ir.IntegerType.get_signless(64, context)
            func.attributes[COST_ATTR] = ir.IntegerAttr.get(i64, upfront)
            func.attributes[LOOP_COSTS_ATTR] = i64_array_attr(threader.charges, context)


def _is_loop(op: ir.Operation) -> bool:
    return op.name == WHILE


def _dim_bound(func: ir.Operation, limits: Limits):
    """Dynamic dims count at their bound; one without its own bound at the
    largest bound of the function's inputs (webtensor-verify-dynamic-shapes
    proved every dynamic dim equals an input dim)."""
    inputs = [
        dynamic_bound(ir.RankedTensorType(t), d, limits) or 0
        for t in function_type(func).inputs
        if isinstance(t, ir.RankedTensorType)
        for d in range(ir.RankedTensorType(t).rank)
        if ir.RankedTensorType(t).is_dynamic_dim(d)
    ]
    largest = max(inputs, default=1) or 1

    def bound(t: ir.RankedTensorType, dim: int) -> int:
        return dynamic_bound(t, dim, limits) or largest

    return bound


def _contains_loop(op: ir.Operation) -> bool:
    return bool(walk(op, WHILE))


def fuel_type(context: ir.Context) -> ir.RankedTensorType:
    return ranked([], ir.IntegerType.get_signless(64, context))


def _add_fuel(func: ir.Operation, threader: "_Threader") -> None:
    """Threads a budget through `func`, unless all its loops are paid up
    front: then it takes none."""
    context = func.context
    block = func.regions[0].blocks[0]
    fuel = block.add_argument(fuel_type(context), func.location)
    remaining, threader.reserve = threader.block(block, fuel, top=True)
    if remaining == fuel and not list(fuel.uses):
        block.erase_argument(len(block.arguments) - 1)
        return
    _append_operand(list(block.operations)[-1], remaining)
    ftype = function_type(func)
    new_type = ir.FunctionType.get(
        list(ftype.inputs) + [fuel_type(context)], list(ftype.results) + [fuel_type(context)], context=context
    )
    func.attributes["function_type"] = ir.TypeAttr.get(new_type, context=context)
    func.attributes[FUEL_ATTR] = ir.UnitAttr.get(context)


class _Threader:
    """Threads the budget through one function, remembering how much work
    of unguarded counted loops it has allowed, each loop's charge, and what
    the function's loops may overdraw.

    Its methods return the fuel left and the reserve: how far below zero
    the budget can go in what they threaded. A checked loop runs an
    iteration while the budget is not negative, so its last one may
    overdraw by its charge, and loops nested in that iteration by theirs;
    once the budget is negative no loop starts another iteration, so the
    largest such sum along a nest is all a call can overdraw."""

    def __init__(self, dim_bound):
        self.dim_bound = dim_bound
        self.charges: list[int] = []  # per iteration, of the loops that pay as they run
        self.upfront = 0  # of the counted loops the runtime charges before the call
        self.unguarded = 0
        self.reserve = 0

    def iteration_charge(self, op: ir.Operation) -> int:
        """One iteration: the fixed cost, the condition and the body, not
        counting loops nested in it."""
        cond, body = op.regions[0].blocks[0], op.regions[1].blocks[0]
        charge = cost.ITERATION_UNITS
        charge += cost.block_cost(cond, self.dim_bound, skip=_is_loop)
        charge += cost.block_cost(body, self.dim_bound, skip=_is_loop)
        return min(charge, LARGEST_CHARGE)

    def block(self, block: ir.Block, fuel: ir.Value, in_counted: bool = False, top: bool = False) -> tuple[ir.Value, int]:
        """Threads `fuel` through the loops and branches of `block`. `in_counted`:
        the block runs inside a counted loop, which does not check the budget,
        so nothing in it may run unguarded. `top`: the block is the function's
        body, which always runs."""
        reserve = 0
        for op in list(block.operations):
            op = op.operation
            if op.name == WHILE:
                fuel, needs = self.loop(op, fuel, in_counted, top)
            elif op.name in BRANCHES and _contains_loop(op):
                fuel, needs = self.branches(op, fuel, in_counted)
            else:
                continue
            reserve = max(reserve, needs)
        return fuel, reserve

    def loop(self, op: ir.Operation, fuel: ir.Value, in_counted: bool, top: bool = False) -> tuple[ir.Value, int]:
        charge = self.iteration_charge(op)
        counted = loops.counted_loop(op)
        leaf = not _contains_loop_inside(op)
        if counted is not None and leaf and top:
            # It always runs, all of it: the runtime charges it up front with
            # the rest of the function's loop-free work.
            self.upfront = min(self.upfront + counted.trip_count * charge, LARGEST_CHARGE)
            return fuel, 0
        self.charges.append(charge)
        if counted is None:
            bounded = loops.bounded_loop(op)
            if bounded is not None and leaf:
                return _clamped_loop(op, bounded, fuel, charge), 0
            return self.checked_loop(op, fuel, charge, in_counted)
        total = min(counted.trip_count * charge, LARGEST_CHARGE)
        if leaf and not in_counted and self.unguarded + total <= UNGUARDED_UNITS:
            self.unguarded += total
            with ir.InsertionPoint(op):
                return build.binary("subtract", fuel, build.splat(total, fuel.type, loc=op.location), loc=op.location), 0
        return self.guarded_loop(op, fuel, total)

    def checked_loop(self, op: ir.Operation, fuel: ir.Value, charge: int, in_counted: bool) -> tuple[ir.Value, int]:
        """A loop that checks the budget before every iteration, runs one
        while it is not negative, and spends the iteration's charge."""
        loc = op.location
        new, cond_fuel, body_fuel = _carrying_fuel(op, fuel)
        _guard_condition(new.regions[0].blocks[0], cond_fuel, loc)
        body = new.regions[1].blocks[0]
        left, nested = self.block(body, body_fuel, in_counted)
        terminator = list(body.operations)[-1]
        with ir.InsertionPoint(terminator):
            spent = build.binary("subtract", left, build.splat(charge, fuel.type, loc=loc), loc=loc)
        _append_operand(terminator, spent)
        return new.results[-1], min(charge + nested, LARGEST_CHARGE)

    def guarded_loop(self, op: ir.Operation, fuel: ir.Value, total: int) -> tuple[ir.Value, int]:
        """`if (fuel >= total) {loop} else {skip}`, with `fuel - total` left,
        or -1 when skipped: charging the total then could wrap around a
        budget that several huge loops overdraw.

        The loop's own condition is untouched. If its body holds loops, the
        budget is carried through the body for them."""
        loc = op.location
        with ir.InsertionPoint(op):
            needed = build.splat(total, fuel.type, loc=loc)
            covered = build.compare("GE", fuel, needed, loc=loc)
            charged = build.binary("subtract", fuel, needed, loc=loc)
            overdrawn = build.splat(-1, fuel.type, loc=loc)
        carries = _contains_loop_inside(op)
        nested = 0
        if carries:
            loop, _, body_fuel = _carrying_fuel(op, charged)
            body = loop.regions[1].blocks[0]
            left, nested = self.block(body, body_fuel, in_counted=True)
            _append_operand(list(body.operations)[-1], left)
            skipped = list(loop.operands)[:-1] + [overdrawn]  # the initial values
        else:
            loop, skipped = op, list(op.operands) + [overdrawn]
        results = list(loop.results) if carries else list(loop.results) + [charged]
        with ir.InsertionPoint(loop):
            guard = build.create("stablehlo.if", [r.type for r in results], [covered], loc=loc, regions=2)
        for old, new in zip(loop.results, guard.results):
            old.replace_all_uses_with(new)
        run = guard.regions[0].blocks.append()
        with ir.InsertionPoint(run):
            returned = build.create("stablehlo.return", [], results, loc=loc)
        loop.move_before(returned)
        with ir.InsertionPoint(guard.regions[1].blocks.append()):
            # Not enough fuel: the call fails, so the skipped results do not matter.
            build.create("stablehlo.return", [], skipped, loc=loc)
        return guard.results[-1], nested

    def branches(self, op: ir.Operation, fuel: ir.Value, in_counted: bool) -> tuple[ir.Value, int]:
        """An if or case whose branches contain loops returns what they leave."""
        loc = op.location
        with ir.InsertionPoint(op):
            new = build.create(
                op.name,
                [r.type for r in op.results] + [fuel.type],
                list(op.operands),
                loc=loc,
                regions=len(op.regions),
            )
        reserve = 0
        for old_region, new_region in zip(op.regions, new.regions):
            block = old_region.blocks[0]
            block.append_to(new_region)
            left, needs = self.block(block, fuel, in_counted)  # branches read the fuel from above
            reserve = max(reserve, needs)
            _append_operand(list(block.operations)[-1], left)
        build.replace_op(op, list(new.results)[:-1])
        return new.results[-1], reserve


def _clamped_loop(op: ir.Operation, bounded: loops.BoundedLoop, fuel: ir.Value, charge: int) -> ir.Value:
    """A loop whose trip count is known when it starts, with no loop inside:
    charged its count times its iteration charge up front, and run only if
    the budget covers that:

        count = max(limit, start) - start                (in i64)
        covered = count <= MAX_COUNT and count * charge <= fuel
        limit' = covered ? limit : start
        fuel' = covered ? fuel - count * charge : -1

    Short of fuel, the loop runs no iteration and the call fails. Unlike a
    check in the condition, this keeps the loop as it was; unlike
    `if (fuel >= total)`, it needs no host round trip before the loop.
    MAX_COUNT (the most iterations any budget pays for) keeps the product
    from wrapping where it is used, and needs no 64-bit division, which
    IREE's 64-bit emulation on Vulkan lacks."""
    loc = op.location
    i64 = element_type(fuel)
    limit_type = bounded.end.type
    most = MAX_BUDGET // charge
    with ir.InsertionPoint(op):
        start = build.splat(bounded.start, fuel.type, loc=loc)
        price = build.splat(charge, fuel.type, loc=loc)
        end = build.convert(bounded.end, i64, loc=loc)
        count = build.binary("subtract", build.binary("maximum", end, start, loc=loc), start, loc=loc)
        spent = build.binary("multiply", count, price, loc=loc)
        within = build.compare("LE", count, build.splat(most, fuel.type, loc=loc), loc=loc)
        affordable = build.compare("LE", spent, fuel, loc=loc)
        covered = build.binary("and", within, affordable, loc=loc)
        limit = build.select(covered, bounded.end, build.splat(bounded.start, limit_type, loc=loc), loc=loc)
        left = build.select(
            covered, build.binary("subtract", fuel, spent, loc=loc), build.splat(-1, fuel.type, loc=loc), loc=loc
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
        new = build.create(
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
    build.replace_op(op, list(new.results)[:-1])
    # A body that does not touch the budget hands it back unchanged.
    return new, cond_fuel, body_fuel


def _contains_loop_inside(op: ir.Operation) -> bool:
    return len(walk(op, WHILE)) > 1


def _guard_condition(cond_block: ir.Block, fuel: ir.Value, loc: ir.Location) -> None:
    """The loop continues only while its condition holds and fuel >= 0.

    (Checking fuel >= charge instead would stop a loop before it overdraws,
    but then a loop that stops short must be told from one that is done, by
    its condition on its final values; IREE 3.13 fails to compile some loops
    whose i1 results are used after them, or that carry another copy of
    them. The overdraft is reserved up front instead.)"""
    terminator = list(cond_block.operations)[-1]
    condition = terminator.operands[0]
    with ir.InsertionPoint(terminator):
        has_fuel = build.compare("GE", fuel, build.splat(0, fuel.type, loc=loc), loc=loc)
        guarded = build.binary("and", condition, has_fuel, loc=loc)
    terminator.operands[0] = guarded


def _append_operand(terminator: ir.Operation, value: ir.Value) -> None:
    """Recreates a return-like terminator with one more operand."""
    terminator = terminator.operation
    with ir.InsertionPoint(terminator):
        build.create(terminator.name, [], list(terminator.operands) + [value], loc=terminator.location)
    terminator.erase()
