"""webtensor-lower-unsigned: `reverse` and `reduce_window` on unsigned
integers, in the signless integers IREE 3.13 lowers.

IREE's reverse and scan lowerings (reduce_window over a whole dimension is
a scan: cumsum, cumprod, cummax, cummin) fail on uiN ("failed to legalize
unresolved target materialization from ('ui8') to ('i8')"). Both are the
same bits in iN:

    reverse(x)                  -> bitcast(reverse(bitcast(x)))
    reduce_window(x, init, add) -> bitcast(reduce_window(bitcast(x), bitcast(init), add))

for add, multiply, and, or, xor (two's complement wraps alike), and for
maximum and minimum with the top bit flipped on the way in and out, which
maps the unsigned order onto the signed one:

    reduce_window(x, init, max) -> bitcast(flip(reduce_window(flip(bitcast(x)), flip(bitcast(init)), max)))

A reduce_window with any other body, or on dynamic shapes, is left as it is.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import build
from ..dialects.types import (
    element_type,
    has_static_shape,
    is_unsigned,
    tensor_type,
    with_element_type,
)
from ..dialects.walk import region_combiner, walk
from .base import ModulePass, Report

REVERSE = "stablehlo.reverse"
REDUCE_WINDOW = "stablehlo.reduce_window"
WRAPPING = ("stablehlo.add", "stablehlo.multiply", "stablehlo.and", "stablehlo.or", "stablehlo.xor")
ORDERED = ("stablehlo.maximum", "stablehlo.minimum")


@dataclasses.dataclass(frozen=True)
class LowerUnsigned(ModulePass):
    name = "webtensor-lower-unsigned"
    summary = "Compute reverse and reduce_window on unsigned integers in signless ones, bit for bit"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module):
            if op.name not in (REVERSE, REDUCE_WINDOW) or not _unsigned_static(op):
                continue
            if op.name == REVERSE:
                _reverse(op)
            elif len(op.results) == 1 and region_combiner(op) in WRAPPING + ORDERED:
                _reduce_window(op)


def _unsigned_static(op: ir.Operation) -> bool:
    values = list(op.operands) + list(op.results)
    return all(has_static_shape(v) and is_unsigned(element_type(v)) for v in values)


def _signless(x: ir.Value, *, loc: ir.Location) -> ir.Value:
    element = element_type(x)
    signless = ir.IntegerType.get_signless(element.width, element.context)
    return _bitcast(x, signless, loc=loc)


def _bitcast(x: ir.Value, element: ir.Type, *, loc: ir.Location) -> ir.Value:
    t = with_element_type(tensor_type(x), element)
    return build.create("stablehlo.bitcast_convert", [t], [x], loc=loc).result


def _reverse(op: ir.Operation) -> None:
    loc = op.location
    element = element_type(op.results[0])
    with ir.InsertionPoint(op):
        x = _signless(op.operands[0], loc=loc)
        attributes = {name: op.attributes[name] for name in op.attributes}
        reversed_ = build.create(REVERSE, [x.type], [x], attributes, loc=loc).result
        result = _bitcast(reversed_, element, loc=loc)
    build.replace_op(op, [result])


def _reduce_window(op: ir.Operation) -> None:
    loc = op.location
    combiner = region_combiner(op)
    element = element_type(op.results[0])
    flip = combiner in ORDERED
    with ir.InsertionPoint(op):
        x, init = (_signless(v, loc=loc) for v in op.operands)
        if flip:
            x, init = _flip(x, loc=loc), _flip(init, loc=loc)
        attributes = {name: op.attributes[name] for name in op.attributes}
        result_type = with_element_type(tensor_type(op.results[0]), element_type(x))
        new = build.create(REDUCE_WINDOW, [result_type], [x, init], attributes, loc=loc, regions=1)
        build.reduce_region(new, combiner.removeprefix("stablehlo."), element_type(x), loc=loc)
        result = _flip(new.result, loc=loc) if flip else new.result
        result = _bitcast(result, element, loc=loc)
    build.replace_op(op, [result])


def _flip(x: ir.Value, *, loc: ir.Location) -> ir.Value:
    """x with its top bit flipped: unsigned order becomes signed order."""
    element = element_type(x)
    top = build.splat(-(1 << (element.width - 1)), tensor_type(x), loc=loc)
    return build.binary("xor", x, top, loc=loc)
