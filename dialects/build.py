"""Builders: each creates ops at the current insertion point (`with
ir.InsertionPoint(op):`) and takes the location of the op being rewritten,
so that diagnostics about the new ops still point at the user's source."""

from __future__ import annotations

from typing import Sequence

from iree.compiler import ir

from .attributes import (
    comparison_direction_attr,
    comparison_type_attr,
    i64_array_attr,
    scalar_attr,
)
from .types import (
    bool_like,
    element_type,
    is_bool,
    is_complex,
    is_float,
    is_unsigned,
    ranked,
    saturate,
    shape,
    tensor_type,
    with_element_type,
)
from .walk import CALL, walk


def create(
    name: str,
    result_types: Sequence[ir.Type],
    operands: Sequence[ir.Value],
    attributes: dict[str, ir.Attribute] | None = None,
    *,
    loc: ir.Location,
    regions: int = 0,
) -> ir.Operation:
    """Creates an op at the current insertion point."""
    return ir.Operation.create(
        name,
        results=list(result_types),
        operands=list(operands),
        attributes=attributes or {},
        regions=regions,
        loc=loc,
    )


def call(callee: str, operands: Sequence[ir.Value], result_types: Sequence[ir.Type], *, loc) -> ir.Operation:
    return create(CALL, result_types, operands, {"callee": ir.FlatSymbolRefAttr.get(callee)}, loc=loc)


def replace_op(op: ir.Operation, new_values: Sequence[ir.Value]) -> None:
    """Replaces every use of op's results, in order, then erases op."""
    for old, new in zip(op.results, new_values):
        old.replace_all_uses_with(new)
    op.erase()


def splat(value: int | float | bool, t: ir.RankedTensorType, *, loc: ir.Location) -> ir.Value:
    """A constant tensor of type `t` filled with `value`."""
    with loc:
        attr = ir.DenseElementsAttr.get_splat(t, scalar_attr(t.element_type, value))
    return create("stablehlo.constant", [t], [], {"value": attr}, loc=loc).result


def constant_1d(values: Sequence[int | float], element: ir.Type, *, loc: ir.Location) -> ir.Value:
    """A rank-1 constant tensor with the given values."""
    t = ranked([len(values)], element)
    attr = ir.DenseElementsAttr.get([scalar_attr(element, v) for v in values], type=t, context=loc.context)
    return create("stablehlo.constant", [t], [], {"value": attr}, loc=loc).result


def unary(name: str, x: ir.Value, *, loc: ir.Location, result_type: ir.Type | None = None) -> ir.Value:
    return create(f"stablehlo.{name}", [result_type or x.type], [x], loc=loc).result


def binary(name: str, lhs: ir.Value, rhs: ir.Value, *, loc: ir.Location) -> ir.Value:
    """add, subtract, multiply, divide, remainder, and, or, xor, maximum, minimum, shift_*."""
    return create(f"stablehlo.{name}", [lhs.type], [lhs, rhs], loc=loc).result


def compare(direction: str, lhs: ir.Value, rhs: ir.Value, *, loc: ir.Location, compare_type: str | None = None) -> ir.Value:
    """lhs DIRECTION rhs, elementwise, as an i1 tensor. The comparison type
    defaults to what the element type implies (UNSIGNED for uiN, FLOAT, ...)."""
    element = element_type(lhs)
    if compare_type is None:
        if is_float(element):
            compare_type = "FLOAT"
        elif is_unsigned(element) or is_bool(element):
            compare_type = "UNSIGNED"
        else:
            compare_type = "SIGNED"
    attributes = {
        "comparison_direction": comparison_direction_attr(direction, loc.context),
        "compare_type": comparison_type_attr(compare_type, loc.context),
    }
    return create("stablehlo.compare", [bool_like(lhs)], [lhs, rhs], attributes, loc=loc).result


def select(pred: ir.Value, on_true: ir.Value, on_false: ir.Value, *, loc: ir.Location) -> ir.Value:
    return create("stablehlo.select", [on_true.type], [pred, on_true, on_false], loc=loc).result


def clamp(low: ir.Value, x: ir.Value, high: ir.Value, *, loc: ir.Location) -> ir.Value:
    return create("stablehlo.clamp", [x.type], [low, x, high], loc=loc).result


def convert(x: ir.Value, element: ir.Type, *, loc: ir.Location) -> ir.Value:
    return create("stablehlo.convert", [with_element_type(x, element)], [x], loc=loc).result


def broadcast_in_dim(x: ir.Value, result_type: ir.RankedTensorType, dims: Sequence[int], *, loc: ir.Location) -> ir.Value:
    attributes = {"broadcast_dimensions": i64_array_attr(dims, loc.context)}
    return create("stablehlo.broadcast_in_dim", [result_type], [x], attributes, loc=loc).result


def reshape(x: ir.Value, result_type: ir.RankedTensorType, *, loc: ir.Location) -> ir.Value:
    return create("stablehlo.reshape", [result_type], [x], loc=loc).result


def slice_(x: ir.Value, start: Sequence[int], limit: Sequence[int], *, loc: ir.Location, strides: Sequence[int] | None = None) -> ir.Value:
    strides = list(strides or [1] * len(start))
    result_shape = [(hi - lo + s - 1) // s for lo, hi, s in zip(start, limit, strides)]
    attributes = {
        "start_indices": i64_array_attr(start, loc.context),
        "limit_indices": i64_array_attr(limit, loc.context),
        "strides": i64_array_attr(strides, loc.context),
    }
    return create("stablehlo.slice", [ranked(result_shape, element_type(x))], [x], attributes, loc=loc).result


def pad(x: ir.Value, padding_value: ir.Value, low: Sequence[int], high: Sequence[int], *, loc: ir.Location, interior: Sequence[int] | None = None) -> ir.Value:
    interior = list(interior or [0] * len(low))
    result_shape = [
        lo + hi + n + max(n - 1, 0) * i for n, lo, hi, i in zip(shape(x), low, high, interior)
    ]
    attributes = {
        "edge_padding_low": i64_array_attr(low, loc.context),
        "edge_padding_high": i64_array_attr(high, loc.context),
        "interior_padding": i64_array_attr(interior, loc.context),
    }
    return create("stablehlo.pad", [ranked(result_shape, element_type(x))], [x, padding_value], attributes, loc=loc).result


def concatenate(values: Sequence[ir.Value], dimension: int, *, loc: ir.Location) -> ir.Value:
    result_shape = shape(values[0])
    result_shape[dimension] = sum(shape(v)[dimension] for v in values)
    attributes = {"dimension": ir.IntegerAttr.get(ir.IntegerType.get_signless(64, loc.context), dimension)}
    return create("stablehlo.concatenate", [ranked(result_shape, element_type(values[0]))], values, attributes, loc=loc).result


def reduce_region(op: ir.Operation, body_op: str, element: ir.Type, *, loc: ir.Location) -> None:
    """Fills op's first region with `(a, b) -> body_op(a, b)` on rank-0 tensors."""
    scalar = ranked([], element)
    block = op.regions[0].blocks.append(scalar, scalar, arg_locs=[loc, loc])
    with ir.InsertionPoint(block):
        combined = binary(body_op, block.arguments[0], block.arguments[1], loc=loc)
        create("stablehlo.return", [], [combined], loc=loc)


def reduce(x: ir.Value, init: ir.Value, dims: Sequence[int], body_op: str, *, loc: ir.Location) -> ir.Value:
    """Reduces `x` over `dims` with a binary op such as "and", "add", "maximum"."""
    result_shape = [n for i, n in enumerate(shape(x)) if i not in set(dims)]
    element = element_type(x)
    op = create(
        "stablehlo.reduce",
        [ranked(result_shape, element)],
        [x, init],
        {"dimensions": i64_array_attr(dims, loc.context)},
        loc=loc,
        regions=1,
    )
    reduce_region(op, body_op, element, loc=loc)
    return op.result


def filled_like(value: int | float | bool, like: ir.Value, *, loc: ir.Location, element: ir.Type | None = None) -> ir.Value:
    """A tensor of `like`'s shape, every element `value` as `element` (default:
    `like`'s element type).

    A static shape gets a splat constant. A dynamic shape has no constant in
    the profile (`dynamic_broadcast_in_dim` is not in it), but `clamp` takes
    rank-0 bounds: clamp(c, t, c) is c everywhere in t's runtime shape, for
    any t without NaNs.
    """
    element = element or element_type(like)
    result_type = with_element_type(like, element)
    if result_type.has_static_shape:
        return splat(value, result_type, loc=loc)
    scalar = splat(value, ranked([], element), loc=loc)
    return clamp(scalar, _nan_free_like(like, element, loc), scalar, loc=loc)


def _nan_free_like(like: ir.Value, element: ir.Type, loc: ir.Location) -> ir.Value:
    """Some tensor of `like`'s runtime shape and type `element`, without NaNs."""
    source = element_type(like)
    if source == element and not (is_float(source) or is_complex(source)):
        return like
    if is_float(source) or is_complex(source):
        # Converting a float could hit the very cases the sandbox guards;
        # a comparison gives a bool of the same shape instead.
        like = compare("EQ", like, like, loc=loc, compare_type="FLOAT")
    # From an integer or a bool, convert gives no NaN.
    return convert(like, element, loc=loc)


def iota(t: ir.RankedTensorType, dimension: int, *, loc: ir.Location) -> ir.Value:
    """0, 1, 2, ... along `dimension` of a static tensor type `t`."""
    attributes = {"iota_dimension": ir.IntegerAttr.get(ir.IntegerType.get_signless(64, loc.context), dimension)}
    return create("stablehlo.iota", [t], [], attributes, loc=loc).result


def optimization_barrier(values: Sequence[ir.Value], *, loc: ir.Location) -> list[ir.Value]:
    """The values, unchanged, but opaque to the compiler: none of them is
    fused into, folded with, or (while one result is used) dropped from
    what follows."""
    return list(create("stablehlo.optimization_barrier", [v.type for v in values], values, loc=loc).results)


def inline_block(block: ir.Block, args: Sequence[ir.Value]) -> list[ir.Value]:
    """Clones `block`'s ops, all but its terminator, at the current insertion
    point with its arguments replaced by `args`; returns the clones of the
    values its terminator returns. For per-element bodies (comparators,
    reducers), which only see their own arguments."""
    mapping = dict(zip(block.arguments, args))
    ops = [op.operation for op in block.operations]
    for old in ops[:-1]:
        new = old.clone()
        _remap_operands(new, mapping)
        mapping.update(zip(old.results, new.results))
    return [mapping.get(v, v) for v in ops[-1].operands]


def _remap_operands(root: ir.Operation, mapping: dict[ir.Value, ir.Value]) -> None:
    """Replaces operands of root and the ops nested in it by their mapped
    values, operand by operand: the mapping may swap values."""
    for op in walk(root):
        remapped = [(i, mapping[v]) for i, v in enumerate(op.operands) if v in mapping]
        for i, value in remapped:
            op.operands[i] = value


def along_dim(values: Sequence[int], t: ir.RankedTensorType, dim: int, *, loc: ir.Location) -> ir.Value:
    """A constant of type `t` that holds values[i] at position i of `dim`.

    Equal values (in particular a single one, as for dim == rank(t), an
    implicit dimension of size 1) give a splat.
    """
    if len(set(values)) == 1:
        return splat(values[0], t, loc=loc)
    vector = constant_1d(values, t.element_type, loc=loc)
    return broadcast_in_dim(vector, t, [dim], loc=loc)


def clamp_index_vectors(indices: ir.Value, upper: Sequence[int], index_vector_dim: int, *, loc: ir.Location) -> ir.Value:
    """Clamps component k of every index vector in `indices` (laid out along
    `index_vector_dim`) into [0, upper[k]], on the full value in the index
    type. A bound beyond the type's largest value saturates to it."""
    t = tensor_type(indices)
    high = along_dim([saturate(u, t.element_type) for u in upper], t, index_vector_dim, loc=loc)
    return clamp(splat(0, t, loc=loc), indices, high, loc=loc)


def scatter_like(op: ir.Operation, inputs: Sequence[ir.Value], indices: ir.Value, updates: Sequence[ir.Value], *, loc: ir.Location) -> ir.Operation:
    """A scatter with the attributes of the scatter `op` on new operands. It
    takes op's update computation (op is left with an empty region: erase
    it). The results have the new inputs' shapes."""
    block = op.regions[0].blocks[0]
    elements = [element_type(arg.type) for arg in list(block.arguments)[: len(inputs)]]
    result_types = [ranked(shape(x), e) for x, e in zip(inputs, elements)]
    attributes = {name: op.attributes[name] for name in op.attributes}
    new = create("stablehlo.scatter", result_types, [*inputs, indices, *updates], attributes, loc=loc, regions=1)
    block.append_to(new.regions[0])
    return new
