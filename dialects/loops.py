"""Counted loops and what is known of the values in them.

A counted loop is the form JAX emits for `scan` and for `fori_loop` with
constant bounds: a counter that starts at a constant, is compared `<` with a
constant, and steps by one. Its trip count is known at compile time, and so
is the range of its counter inside the body; the sandbox uses both to leave
such loops in the shape IREE compiles into fast counted `for` loops.

A bounded loop is `fori_loop` with a bound known only at run time: the same
counter, compared `<` with a value the loop never changes (a carried value
its body hands back as it is, or a value from outside). Its trip count is
known once the loop starts.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from .attributes import comparison_direction, comparison_type
from .types import element_type, is_bool, is_integer, is_unsigned, shape

WHILE = "stablehlo.while"


@dataclasses.dataclass(frozen=True)
class CountedLoop:
    counter: int  # position of the counter among the loop-carried values
    start: int
    end: int  # the loop runs while counter < end

    @property
    def trip_count(self) -> int:
        return max(self.end - self.start, 0)


@dataclasses.dataclass(frozen=True)
class BoundedLoop:
    counter: int  # position of the counter among the loop-carried values
    start: int
    compare: ir.Operation  # counter < limit, in the condition
    end: ir.Value  # the limit's value before the loop starts
    carried: int | None  # the limit's position among the carried values, if carried


def counted_loop(op: ir.Operation) -> CountedLoop | None:
    """The counted-loop form of a `stablehlo.while`, or None."""
    found = _counter_compare(op)
    if found is None:
        return None
    k, start, compare = found
    end = constant_int(compare.operands[1])
    return None if end is None else CountedLoop(k, start, end)


def bounded_loop(op: ir.Operation) -> BoundedLoop | None:
    """The bounded-loop form of a `stablehlo.while` whose limit is not a
    constant, for a signed counter; else None."""
    found = _counter_compare(op)
    if found is None:
        return None
    k, start, compare = found
    limit = compare.operands[1]
    if constant_int(limit) is not None or not is_integer(element_type(limit)) or is_unsigned(element_type(limit)):
        return None
    cond, body = op.regions[0].blocks[0], op.regions[1].blocks[0]
    if isinstance(limit, ir.BlockArgument) and limit.owner == cond:
        j = list(cond.arguments).index(limit)
        if list(body.operations)[-1].operands[j] != body.arguments[j]:
            return None  # the body changes it
        return BoundedLoop(k, start, compare, op.operands[j], j)
    # The condition holds only constants besides the compare: any other
    # limit is defined outside the loop.
    return BoundedLoop(k, start, compare, limit, None)


def _counter_compare(op: ir.Operation) -> tuple[int, int, ir.Operation] | None:
    """(k, start, compare) for a condition that is `counter < limit` alone,
    with carried value k starting at constant `start` and stepping by one."""
    cond_ops = [o.operation for o in op.regions[0].blocks[0].operations]
    if len(cond_ops) < 2 or any(o.name != "stablehlo.constant" for o in cond_ops[:-2]):
        return None
    compare, terminator = cond_ops[-2:]
    if compare.name != "stablehlo.compare" or terminator.operands[0] != compare.results[0]:
        return None
    if comparison_direction(compare) != "LT" or not _compares_as_its_type(compare):
        return None
    counter = compare.operands[0]
    args = list(op.regions[0].blocks[0].arguments)
    if counter not in args:
        return None
    k = args.index(counter)
    start = constant_int(op.operands[k])
    if start is None or not _steps_by_one(op.regions[1].blocks[0], k):
        return None
    return k, start, compare


def constant_int(value: ir.Value) -> int | None:
    """The value of a rank-0 integer constant (not i1), else None."""
    owner = value.owner
    if not isinstance(owner, (ir.Operation, ir.OpView)) or owner.operation.name != "stablehlo.constant":
        return None
    element = element_type(value)
    if shape(value) or not is_integer(element) or is_bool(element):
        return None
    raw = ir.IntegerAttr(ir.DenseIntElementsAttr(owner.operation.attributes["value"]).get_splat_value()).value
    return raw & ((1 << element.width) - 1) if is_unsigned(element) else raw


def _compares_as_its_type(compare: ir.Operation) -> bool:
    """Whether the compare reads its integers as their type says: an
    UNSIGNED compare of signless i32 makes -1 the largest value, and a
    trip count worked out as signed would be wrong by 2^32."""
    kind = comparison_type(compare)
    if kind is None:
        return True  # the default follows the element type
    unsigned = is_unsigned(element_type(compare.operands[0]))
    return kind == ("UNSIGNED" if unsigned else "SIGNED")


def _steps_by_one(body: ir.Block, k: int) -> bool:
    counter = body.arguments[k]
    step = list(body.operations)[-1].operands[k].owner
    if not isinstance(step, (ir.Operation, ir.OpView)) or step.operation.name != "stablehlo.add":
        return False
    lhs, rhs = step.operation.operands
    other = rhs if lhs == counter else lhs if rhs == counter else None
    return other is not None and constant_int(other) == 1


def int_range(value: ir.Value) -> tuple[int, int] | None:
    """Bounds [low, high] of a rank-0 integer value, when they are known:
    a constant, or the counter of a counted loop read in its body."""
    known = constant_int(value)
    if known is not None:
        return known, known
    block = value.owner
    if not isinstance(block, ir.Block):
        return None
    loop = block.region.owner.operation
    if loop.name != WHILE or block.region != loop.regions[1]:
        return None
    counted = counted_loop(loop)
    if counted is None or value != block.arguments[counted.counter] or counted.trip_count == 0:
        return None
    return counted.start, counted.end - 1
