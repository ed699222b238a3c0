"""webtensor-sandbox-sort: one sorted order on every target, stable as the
spec says.

IREE 3.13 ignores `is_stable`: its sort can reorder elements that the
comparator finds equivalent, so `jnp.argsort` of keys with ties, or a sort
of keys with payloads, differs from XLA and from the spec. And the order it
gives to equivalent elements is its algorithm's, which other targets need
not share. The sandbox breaks every tie by position, which makes any
comparator that is a strict weak order a strict total order; every correct
sorting algorithm then gives the one stable result:

    sort(x..., comparator)
      -> sort(x..., iota, (a..., i, b..., j) ->
              comparator(a, b) or (not comparator(b, a) and i < j))

with the iota's results dropped. Unstable sorts get the same treatment:
the stable order is one of the orders they allow, and it is the same
everywhere. An operand that already is an iota along the sort dimension
(jnp.argsort's) serves as the positions, and an operand given twice is
sorted once: IREE 3.13 cannot compile a sort that gets one value twice,
which a second, identical iota would become once IREE merges the two.
The results pass through an optimization_barrier: IREE 3.13 keeps a sort
result that nothing uses (the positions; the keys of jnp.argsort) on the
stack and refuses one over 32 KiB, which is why plain jnp.argsort of more
than 8192 elements does not compile there.

bf16 operands travel through the sort as their i16 bit patterns, and the
comparator sees them bitcast back: IREE 3.13's CPU sort moves bf16 values
through f32 and back, which turns -NaN into +NaN (and so sorts it wrongly).

A comparator whose result does not depend on its arguments (a constant,
after canonicalization) orders nothing: the sort returns its inputs as
they are. IREE 3.13 crashes compiling such a sort.

What stays target-dependent: a comparator that is not a strict weak order
(FLOAT `LT` with NaNs in the data, `LE`, one that reads only one side) has no
sorted order to agree on. IREE's CPU sort still returns a permutation of its
inputs, deterministically, but another target's algorithm may return
another one. JAX's own comparators are strict weak orders (they sort floats
by a total order, NaNs last). Sorts of dynamic shapes are left alone: the
profile has no iota for them.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.types import (
    bit_width,
    element_type,
    has_static_shape,
    int_range,
    is_integer,
    ranked,
    shape,
    with_element_type,
)
from ..dialects.walk import walk
from .base import ModulePass, Report

SORT = "stablehlo.sort"


@dataclasses.dataclass(frozen=True)
class SandboxSort(ModulePass):
    name = "webtensor-sandbox-sort"
    summary = "Break sort ties by position: stable, and the same order on every target"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module, SORT):
            if not _depends_on_arguments(_comparator(op)):
                build.replace_op(op, list(op.operands))
            elif has_static_shape(op.operands[0]):
                _break_ties(op)


def _comparator(op: ir.Operation) -> ir.Block:
    return op.regions[0].blocks[0]


def _dimension(op: ir.Operation) -> int:
    """The sort dimension; the spec allows negative ones, counted from the end."""
    dimension = ir.IntegerAttr(op.attributes["dimension"]).value
    return dimension % len(shape(op.operands[0]))


def _depends_on_arguments(block: ir.Block) -> bool:
    """Whether the value the block returns is computed from its arguments."""
    arguments = set(block.arguments)
    pending = list(list(block.operations)[-1].operands)
    seen = set()
    while pending:
        value = pending.pop()
        if value in arguments:
            return True
        if value in seen or isinstance(value, ir.BlockArgument):
            continue
        seen.add(value)
        # Operands of ops nested in the defining op's regions count too.
        for op in walk(value.owner.operation):
            pending.extend(op.operands)
    return False


def _break_ties(op: ir.Operation) -> None:
    """Rebuilds the sort on its distinct operands plus a position operand
    (an iota along the sort dimension it already has, or a new one), with
    the tie-breaking comparator."""
    loc = op.location
    inputs = list(op.operands)
    operands = list(dict.fromkeys(inputs))  # IREE 3.13 cannot sort one value twice
    slot = [operands.index(v) for v in inputs]
    dimension = _dimension(op)
    with ir.InsertionPoint(op):
        # The element type of each operand carried as bits; None if not.
        carried = [element_type(v) if _is_bf16(v) else None for v in operands]
        operands = [v if t is None else _bitcast(v, _bits_type(v), loc) for v, t in zip(operands, carried)]
        positions = _positions(operands, dimension)
        if positions is None:
            operands.append(_new_positions(shape(inputs[0]), dimension, loc))
            positions = len(operands) - 1
        attributes = {name: op.attributes[name] for name in op.attributes}
        sort = build.create(SORT, [v.type for v in operands], operands, attributes, loc=loc, regions=1)
    _tie_breaking_comparator(_comparator(op), sort, slot, positions, loc, carried)
    with ir.InsertionPoint(op):
        # IREE 3.13 keeps a sort result that nothing uses on the stack, and
        # refuses one over 32 KiB: the barrier uses them all.
        results = build.optimization_barrier(list(sort.results), loc=loc)
        results = [
            results[i] if element is None else _bitcast(results[i], element, loc)
            for i, element in enumerate(carried)
        ] + results[len(carried):]
    build.replace_op(op, [results[s] for s in slot])


def _is_bf16(value: ir.Value) -> bool:
    return isinstance(element_type(value), ir.BF16Type)


def _bits_type(value: ir.Value) -> ir.Type:
    return ir.IntegerType.get_signless(bit_width(element_type(value)))


def _bitcast(value: ir.Value, element: ir.Type, loc: ir.Location) -> ir.Value:
    return build.unary("bitcast_convert", value, loc=loc, result_type=with_element_type(value, element))


def _positions(operands: list[ir.Value], dimension: int) -> int | None:
    """Which operand, if any, already numbers the positions along the sort
    dimension (as jnp.argsort's iota does). Reusing it keeps IREE from
    seeing two identical operands once it merges a new iota with it."""
    for i, value in enumerate(operands):
        if not isinstance(value, ir.OpResult) or value.owner.name != "stablehlo.iota":
            continue
        element = element_type(value)
        along = ir.IntegerAttr(value.owner.attributes["iota_dimension"]).value == dimension
        wide_enough = is_integer(element) and int_range(element)[1] >= shape(value)[dimension] - 1
        if along and wide_enough:
            return i
    return None


def _new_positions(dims: list[int], dimension: int, loc: ir.Location) -> ir.Value:
    element = ir.IntegerType.get_signless(32 if dims[dimension] < 2**31 else 64, loc.context)
    return build.iota(ranked(dims, element), dimension, loc=loc)


def _tie_breaking_comparator(
    old: ir.Block, sort: ir.Operation, slot: list[int], positions: int, loc: ir.Location, carried: list[ir.Type | None]
) -> None:
    """comparator(a, b) or (not comparator(b, a) and i < j), as sort's region.

    Arguments come in pairs, (a0, b0, a1, b1, ...), one pair per operand;
    the old comparator's pair for input p is the new pair of its operand
    slot[p], and swapping each pair asks the comparator the other way round.
    Operands carried as bit patterns (`carried[i]` their element type) are
    bitcast back before the old comparator sees them.
    """
    types = [ranked([], element_type(v)) for v in sort.operands for _ in range(2)]
    block = sort.regions[0].blocks.append(*types, arg_locs=[loc] * len(types))
    args = list(block.arguments)
    with ir.InsertionPoint(block):
        values = [
            arg if i // 2 >= len(carried) or carried[i // 2] is None else _bitcast(arg, carried[i // 2], loc)
            for i, arg in enumerate(args)
        ]
        forward = [values[2 * s + side] for s in slot for side in (0, 1)]
        backward = [values[2 * s + 1 - side] for s in slot for side in (0, 1)]
        less = build.inline_block(old, forward)[0]
        greater = build.inline_block(old, backward)[0]
        earlier = build.compare("LT", args[2 * positions], args[2 * positions + 1], loc=loc)
        tie_broken = build.binary("and", build.unary("not", greater, loc=loc), earlier, loc=loc)
        build.create("stablehlo.return", [], [build.binary("or", less, tie_broken, loc=loc)], loc=loc)
