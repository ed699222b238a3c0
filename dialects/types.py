"""Queries on tensor and element types, and the types our rewrites make."""

from __future__ import annotations

from typing import Sequence

from iree.compiler import ir


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


def saturate(value: int, element: ir.IntegerType) -> int:
    """`value` clamped into the range of the integer type `element`."""
    low, high = int_range(element)
    return min(max(value, low), high)
