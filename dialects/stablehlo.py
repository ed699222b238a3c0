"""Typed helpers for the StableHLO ops our passes read and build.

IREE's wheel carries no generated StableHLO op classes, so ops are generic
`ir.Operation`s. Everything a pass needs to know about an op's operands,
attributes and types goes through a helper here, so that passes read as
intent ("the gather's start_index_map") and the one place that knows the
attribute syntax is this module.

Builders create ops at the current insertion point (`with ir.InsertionPoint(op):`)
and take the location of the op being rewritten, so that diagnostics about
the new ops still point at the user's source.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Iterator, Sequence

from iree.compiler import ir

FUNC = "func.func"
CALL = "func.call"
RETURN = "func.return"
COMPOSITE = "stablehlo.composite"


# --- Walking and functions --------------------------------------------------

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


# --- Types -------------------------------------------------------------------

def tensor_type(value_or_type: ir.Value | ir.Type) -> ir.RankedTensorType:
    t = value_or_type.type if isinstance(value_or_type, ir.Value) else value_or_type
    return ir.RankedTensorType(t)


def element_type(value_or_type: ir.Value | ir.Type) -> ir.Type:
    return tensor_type(value_or_type).element_type


def shape(value_or_type: ir.Value | ir.Type) -> list[int]:
    return list(tensor_type(value_or_type).shape)


def has_static_shape(value_or_type: ir.Value | ir.Type) -> bool:
    t = value_or_type.type if isinstance(value_or_type, ir.Value) else value_or_type
    return isinstance(t, ir.RankedTensorType) and t.has_static_shape


def ranked(shape_: Sequence[int], element: ir.Type, encoding: ir.Attribute | None = None) -> ir.RankedTensorType:
    # A location is only needed for diagnostics about invalid shapes.
    loc = ir.Location.unknown(context=element.context)
    return ir.RankedTensorType.get(list(shape_), element, encoding, loc=loc)


def with_element_type(t: ir.RankedTensorType | ir.Value, element: ir.Type) -> ir.RankedTensorType:
    t = tensor_type(t)
    return ranked(t.shape, element, t.encoding)


def bool_like(value: ir.Value) -> ir.RankedTensorType:
    """The i1 tensor type of `value`'s shape (what compare returns)."""
    return with_element_type(value, ir.IntegerType.get_signless(1, value.context))


def is_integer(t: ir.Type) -> bool:
    return isinstance(t, ir.IntegerType)


def is_bool(t: ir.Type) -> bool:
    return isinstance(t, ir.IntegerType) and t.width == 1


def is_unsigned(t: ir.Type) -> bool:
    return isinstance(t, ir.IntegerType) and t.is_unsigned


def is_float(t: ir.Type) -> bool:
    return isinstance(t, ir.FloatType)


def is_complex(t: ir.Type) -> bool:
    return isinstance(t, ir.ComplexType)


def bit_width(t: ir.Type) -> int:
    if isinstance(t, ir.ComplexType):
        return 2 * bit_width(t.element_type)
    return t.width


def int_range(t: ir.IntegerType) -> tuple[int, int]:
    """The smallest and largest value of an integer type (i1 is 0..1)."""
    width = t.width
    if width == 1 or t.is_unsigned:
        return 0, (1 << width) - 1
    return -(1 << (width - 1)), (1 << (width - 1)) - 1


# --- Attributes --------------------------------------------------------------

def dense_i64_array(op: ir.Operation, name: str) -> tuple[int, ...]:
    if name not in op.attributes:
        return ()
    return tuple(ir.DenseI64ArrayAttr(op.attributes[name]))


def i64_array_attr(values: Sequence[int], context=None) -> ir.DenseI64ArrayAttr:
    return ir.DenseI64ArrayAttr.get(list(values), context=context)


def bool_attr(op: ir.Operation, name: str, default: bool = False) -> bool:
    if name not in op.attributes:
        return default
    return ir.BoolAttr(op.attributes[name]).value


def _parse_struct_attr(text: str) -> dict[str, tuple[int, ...] | int]:
    """`#stablehlo.gather<offset_dims = [1], index_vector_dim = 1>` -> fields."""
    body = text[text.index("<") + 1 : text.rindex(">")]
    fields: dict[str, tuple[int, ...] | int] = {}
    for name, value in re.findall(r"(\w+)\s*=\s*(\[[^\]]*\]|-?\d+)", body):
        if value.startswith("["):
            fields[name] = tuple(int(v) for v in value[1:-1].split(",") if v.strip())
        else:
            fields[name] = int(value)
    return fields


@dataclasses.dataclass(frozen=True)
class GatherDimensionNumbers:
    offset_dims: tuple[int, ...] = ()
    collapsed_slice_dims: tuple[int, ...] = ()
    operand_batching_dims: tuple[int, ...] = ()
    start_indices_batching_dims: tuple[int, ...] = ()
    start_index_map: tuple[int, ...] = ()
    index_vector_dim: int = 0


@dataclasses.dataclass(frozen=True)
class ScatterDimensionNumbers:
    update_window_dims: tuple[int, ...] = ()
    inserted_window_dims: tuple[int, ...] = ()
    input_batching_dims: tuple[int, ...] = ()
    scatter_indices_batching_dims: tuple[int, ...] = ()
    scatter_dims_to_operand_dims: tuple[int, ...] = ()
    index_vector_dim: int = 0

    def to_attr(self, context) -> ir.Attribute:
        parts = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, tuple):
                if value:
                    parts.append(f"{field.name} = [{', '.join(map(str, value))}]")
            else:
                parts.append(f"{field.name} = {value}")
        return ir.Attribute.parse(f"#stablehlo.scatter<{', '.join(parts)}>", context=context)


def gather_dimension_numbers(op: ir.Operation) -> GatherDimensionNumbers:
    return GatherDimensionNumbers(**_parse_struct_attr(str(op.attributes["dimension_numbers"])))


def scatter_dimension_numbers(op: ir.Operation) -> ScatterDimensionNumbers:
    return ScatterDimensionNumbers(**_parse_struct_attr(str(op.attributes["scatter_dimension_numbers"])))


def comparison_direction(op: ir.Operation) -> str:
    """"EQ", "NE", "GE", "GT", "LE" or "LT"."""
    return str(op.attributes["comparison_direction"]).split()[-1].rstrip(">")


# --- Builders ----------------------------------------------------------------

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


def scalar_attr(element: ir.Type, value: int | float | bool) -> ir.Attribute:
    """An attribute holding `value` as `element`. Integers wrap to the type's
    width (so -1 as ui32 is 0xFFFFFFFF); floats may be inf, -inf, nan, -0.0."""
    if is_float(element):
        return ir.FloatAttr.get(element, float(value))
    if is_bool(element):
        return ir.BoolAttr.get(bool(value))
    width = element.width
    bits = int(value) & ((1 << width) - 1)
    if not element.is_unsigned and bits >= 1 << (width - 1):
        bits -= 1 << width
    return ir.IntegerAttr.get(element, bits)


def splat(value: int | float | bool, t: ir.RankedTensorType, *, loc: ir.Location) -> ir.Value:
    """A constant tensor of type `t` filled with `value`."""
    with loc:
        attr = ir.DenseElementsAttr.get_splat(t, scalar_attr(t.element_type, value))
    return create("stablehlo.constant", [t], [], {"value": attr}, loc=loc).result


def constant_1d(values: Sequence[int | float], element: ir.Type, *, loc: ir.Location) -> ir.Value:
    """A rank-1 constant tensor with the given values."""
    t = ranked([len(values)], element)
    body = ", ".join(str(scalar_attr(element, v)).split(" : ")[0] for v in values)
    attr = ir.Attribute.parse(f"dense<[{body}]> : {t}", context=loc.context)
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
        "comparison_direction": ir.Attribute.parse(f"#stablehlo<comparison_direction {direction}>", context=loc.context),
        "compare_type": ir.Attribute.parse(f"#stablehlo<comparison_type {compare_type}>", context=loc.context),
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
