"""Typed readers (and makers) of the attributes our passes use.

Builtin attributes are read through the MLIR bindings' own classes
(`ir.DenseI64ArrayAttr`, `ir.BoolAttr`, ...). StableHLO's attributes
(comparison kinds, dimension numbers, bounds) have no Python class in
IREE's wheel: it registers the dialect but builds no bindings for it, so
`iree.compiler.dialects` has no `stablehlo` module and such an attribute is a
bare `ir.Attribute` whose only accessor is its printed form. (jaxlib's
`mlir.dialects.stablehlo` has the classes, but for its own MLIR build: its
objects cannot hold IREE's.) So this module reads that form, in one place,
strictly: a reader fails on any text it does not fully understand, rather
than guessing.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Sequence

from iree.compiler import ir

from .types import is_bool, is_float

# --- Builtin attributes ------------------------------------------------------


def attribute(op: ir.Operation, name: str) -> ir.Attribute | None:
    """`op.attributes[name]`, or None for dense data the bindings cannot
    wrap: IREE 3.13's bindings raise TypeError on reading a dense attribute
    of complex elements (every complex constant's `value`)."""
    try:
        return op.attributes[name]
    except TypeError:
        return None


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


def scalar_attr(element: ir.Type, value: int | float | bool) -> ir.Attribute:
    """An attribute holding `value` as `element`. Integers wrap to the type's
    width (so -1 as ui32 is 0xFFFFFFFF); floats may be inf, -inf, nan, -0.0."""
    if is_float(element):
        return ir.FloatAttr.get(element, float(value))
    if is_bool(element):
        return ir.BoolAttr.get(bool(value), context=element.context)
    width = element.width
    bits = int(value) & ((1 << width) - 1)
    # IntegerAttr.get takes an int64, so even a uiN value with the top bit set
    # goes in as its two's complement; the attribute keeps the bits.
    if bits >= 1 << (width - 1):
        bits -= 1 << width
    return ir.IntegerAttr.get(element, bits)


# --- StableHLO enums ---------------------------------------------------------

COMPARISON_DIRECTIONS = ("EQ", "NE", "GE", "GT", "LE", "LT")
COMPARISON_TYPES = ("NOTYPE", "FLOAT", "TOTALORDER", "SIGNED", "UNSIGNED")


def comparison_direction(op: ir.Operation) -> str:
    """"EQ", "NE", "GE", "GT", "LE" or "LT"."""
    return _enum(op.attributes["comparison_direction"], "comparison_direction", COMPARISON_DIRECTIONS)


def comparison_type(op: ir.Operation) -> str | None:
    """A compare's `compare_type`: "FLOAT", "TOTALORDER", "SIGNED",
    "UNSIGNED" or "NOTYPE"; None when the compare has none (then the element
    type decides)."""
    if "compare_type" not in op.attributes:
        return None
    return _enum(op.attributes["compare_type"], "comparison_type", COMPARISON_TYPES)


FFT_TYPES = ("FFT", "IFFT", "RFFT", "IRFFT")


def fft_type(op: ir.Operation) -> str:
    """An fft's `fft_type`: "FFT", "IFFT", "RFFT" or "IRFFT"."""
    return _enum(op.attributes["fft_type"], "fft_type", FFT_TYPES)


def comparison_direction_attr(direction: str, context=None) -> ir.Attribute:
    return _enum_attr("comparison_direction", direction, COMPARISON_DIRECTIONS, context)


def comparison_type_attr(kind: str, context=None) -> ir.Attribute:
    return _enum_attr("comparison_type", kind, COMPARISON_TYPES, context)


def _enum(attr: ir.Attribute, kind: str, values: Sequence[str]) -> str:
    """`#stablehlo<comparison_type UNSIGNED>` -> "UNSIGNED"."""
    text = str(attr)
    match = re.fullmatch(rf"#stablehlo<{kind} (\w+)>", text)
    if not match or match.group(1) not in values:
        raise ValueError(f"not a #stablehlo<{kind}> attribute: {text}")
    return match.group(1)


def _enum_attr(kind: str, value: str, values: Sequence[str], context) -> ir.Attribute:
    if value not in values:
        raise ValueError(f"{kind} must be one of {', '.join(values)}, not {value!r}")
    return ir.Attribute.parse(f"#stablehlo<{kind} {value}>", context=context)


# --- StableHLO dimension numbers ---------------------------------------------


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
        return _struct_attr("scatter", self, context)


@dataclasses.dataclass(frozen=True)
class DotDimensionNumbers:
    lhs_batching_dimensions: tuple[int, ...] = ()
    rhs_batching_dimensions: tuple[int, ...] = ()
    lhs_contracting_dimensions: tuple[int, ...] = ()
    rhs_contracting_dimensions: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class ConvDimensionNumbers:
    """Which dimension of each convolution operand plays which role. The
    spatial dimensions are listed in window order."""

    input_batch_dimension: int = 0
    input_feature_dimension: int = 0
    input_spatial_dimensions: tuple[int, ...] = ()
    kernel_input_feature_dimension: int = 0
    kernel_output_feature_dimension: int = 0
    kernel_spatial_dimensions: tuple[int, ...] = ()
    output_batch_dimension: int = 0
    output_feature_dimension: int = 0
    output_spatial_dimensions: tuple[int, ...] = ()


def gather_dimension_numbers(op: ir.Operation) -> GatherDimensionNumbers:
    return _struct(str(op.attributes["dimension_numbers"]), "gather", GatherDimensionNumbers)


def scatter_dimension_numbers(op: ir.Operation) -> ScatterDimensionNumbers:
    return _struct(str(op.attributes["scatter_dimension_numbers"]), "scatter", ScatterDimensionNumbers)


def dot_dimension_numbers(op: ir.Operation) -> DotDimensionNumbers:
    return _struct(str(op.attributes["dot_dimension_numbers"]), "dot", DotDimensionNumbers)


def convolution_dimension_numbers(op: ir.Operation) -> ConvDimensionNumbers:
    """StableHLO prints these as roles, `#stablehlo.conv<[b, 0, 1, f]x[0, 1,
    i, o]->[b, 0, 1, f]>` (b batch, f feature, i and o the kernel's input
    and output features, a number k the k-th spatial dimension), or in the
    `raw` field form when the roles cannot be drawn that way."""
    text = str(op.attributes["dimension_numbers"])
    if text.startswith("#stablehlo.conv<raw "):
        return _struct(text.replace("<raw ", "<", 1), "conv", ConvDimensionNumbers)
    match = re.fullmatch(r"#stablehlo\.conv<\[([^\]]*)\]x\[([^\]]*)\]->\[([^\]]*)\]>", text)
    if not match:
        raise ValueError(f"not a #stablehlo.conv attribute: {text}")
    lhs, kernel, out = (_roles(part, text) for part in match.groups())
    return ConvDimensionNumbers(
        input_batch_dimension=_role(lhs, "b", text),
        input_feature_dimension=_role(lhs, "f", text),
        input_spatial_dimensions=_spatial(lhs, text),
        kernel_input_feature_dimension=_role(kernel, "i", text),
        kernel_output_feature_dimension=_role(kernel, "o", text),
        kernel_spatial_dimensions=_spatial(kernel, text),
        output_batch_dimension=_role(out, "b", text),
        output_feature_dimension=_role(out, "f", text),
        output_spatial_dimensions=_spatial(out, text),
    )


def _roles(part: str, text: str) -> list[str]:
    roles = [r.strip() for r in part.split(",")] if part.strip() else []
    if any(not re.fullmatch(r"[bfio]|\d+", r) for r in roles):
        raise ValueError(f"not a #stablehlo.conv attribute: {text}")
    return roles


def _role(roles: list[str], role: str, text: str) -> int:
    if roles.count(role) != 1:
        raise ValueError(f"#stablehlo.conv attribute without one '{role}': {text}")
    return roles.index(role)


def _spatial(roles: list[str], text: str) -> tuple[int, ...]:
    """Positions of the spatial roles 0, 1, ..., in that order."""
    positions = {int(r): i for i, r in enumerate(roles) if r.isdigit()}
    if sorted(positions) != list(range(len(positions))) or len(positions) != sum(r.isdigit() for r in roles):
        raise ValueError(f"#stablehlo.conv attribute with gaps in its spatial dimensions: {text}")
    return tuple(positions[k] for k in range(len(positions)))


_FIELD = re.compile(r"\s*(\w+)\s*=\s*(?:\[([-\d,\s]*)\]|(-?\d+))\s*(?:,|$)")


def _struct(text: str, mnemonic: str, cls):
    """`#stablehlo.gather<offset_dims = [1], index_vector_dim = 1>` as `cls`.
    The printer leaves out empty lists; every field must be one of cls's."""
    match = re.fullmatch(rf"#stablehlo\.{mnemonic}<(.*)>", text, re.DOTALL)
    if not match:
        raise ValueError(f"not a #stablehlo.{mnemonic} attribute: {text}")
    body, fields, pos = match.group(1), {}, 0
    known = {f.name for f in dataclasses.fields(cls)}
    while pos < len(body):
        field = _FIELD.match(body, pos)
        if not field or field.group(1) not in known or field.group(1) in fields:
            raise ValueError(f"cannot read #stablehlo.{mnemonic} attribute {text} at {body[pos:]!r}")
        name, items, number = field.groups()
        fields[name] = int(number) if number is not None else tuple(int(v) for v in items.split(",") if v.strip())
        pos = field.end()
    return cls(**fields)


def _struct_attr(mnemonic: str, numbers, context) -> ir.Attribute:
    parts = []
    for field in dataclasses.fields(numbers):
        value = getattr(numbers, field.name)
        if isinstance(value, tuple):
            if value:
                parts.append(f"{field.name} = [{', '.join(map(str, value))}]")
        else:
            parts.append(f"{field.name} = {value}")
    return ir.Attribute.parse(f"#stablehlo.{mnemonic}<{', '.join(parts)}>", context=context)


# --- Bounded dynamic shapes --------------------------------------------------


def declared_bounds(t: ir.RankedTensorType) -> list[int | None] | None:
    """The `#stablehlo.bounds<8, ?>` encoding of a tensor type, if any: one
    entry a dimension, None where it says `?` (a static dimension, or a
    dynamic one without a bound)."""
    if t.encoding is None:
        return None
    match = re.fullmatch(r"#stablehlo\.bounds<([^>]*)>", str(t.encoding))
    if not match:
        return None
    bounds = [b.strip() for b in match.group(1).split(",")]
    if any(not re.fullmatch(r"\?|\d+", b) for b in bounds):
        raise ValueError(f"cannot read bounds {t.encoding}")
    return [None if b == "?" else int(b) for b in bounds]


# --- Which dialects an attribute names ----------------------------------------

# `#hal.executable.target<...>`, `!hal.device`, `#stablehlo<...>`: a dialect's
# attribute or type, in printed IR.
_DIALECT_REFERENCE = re.compile(r"[#!]([A-Za-z_][\w$]*)[.<]")
_NO_DIALECT = (ir.UnitAttr, ir.BoolAttr, ir.FlatSymbolRefAttr, ir.SymbolRefAttr, ir.DenseI64ArrayAttr,
               ir.DenseI32ArrayAttr, ir.DenseI16ArrayAttr, ir.DenseI8ArrayAttr, ir.DenseBoolArrayAttr,
               ir.DenseF32ArrayAttr, ir.DenseF64ArrayAttr)
_TYPED = (ir.IntegerAttr, ir.FloatAttr, ir.DenseElementsAttr, ir.DenseResourceElementsAttr)
_SCALAR_TYPES = (ir.IntegerType, ir.FloatType, ir.IndexType, ir.NoneType)


def dialects_named(attr: ir.Attribute) -> set[str]:
    """The dialects whose attributes or types appear anywhere in `attr`.

    Builtin containers and types are walked through their classes, so dense
    data is never printed. The bindings cannot walk a dialect attribute's
    or type's parameters, so for those (and for string contents, read
    conservatively, as if they were IR) the printed form is searched."""
    if isinstance(attr, _NO_DIALECT):
        return set()
    if isinstance(attr, ir.StringAttr):
        return dialects_in_printed(attr.value)
    if isinstance(attr, ir.TypeAttr):
        return type_dialects_named(attr.value)
    if isinstance(attr, _TYPED):
        return type_dialects_named(attr.type)
    if isinstance(attr, (ir.ArrayAttr, ir.DictAttr)):
        try:
            parts = [attr[i] for i in range(len(attr))]
        except TypeError:
            # An element the bindings cannot wrap (complex dense data).
            return dialects_in_printed(str(attr))
        parts = [p.attr if isinstance(p, ir.NamedAttribute) else p for p in parts]
        return set().union(*(dialects_named(p) for p in parts))
    return dialects_in_printed(str(attr))


def type_dialects_named(t: ir.Type) -> set[str]:
    """The dialects whose types or attributes (an encoding) appear in `t`."""
    if isinstance(t, _SCALAR_TYPES):
        return set()
    if isinstance(t, ir.ComplexType):
        return type_dialects_named(t.element_type)
    if isinstance(t, ir.RankedTensorType):
        encoding = dialects_named(t.encoding) if t.encoding is not None else set()
        return encoding | type_dialects_named(t.element_type)
    if isinstance(t, (ir.UnrankedTensorType, ir.VectorType)):
        return type_dialects_named(t.element_type)
    if isinstance(t, ir.FunctionType):
        return set().union(*(type_dialects_named(x) for x in [*t.inputs, *t.results]))
    if isinstance(t, ir.TupleType):
        return set().union(*(type_dialects_named(t.get_type(i)) for i in range(t.num_types)))
    return dialects_in_printed(str(t))


def dialects_in_printed(text: str) -> set[str]:
    """The dialects that printed IR (or any text read as such) refers to."""
    return set(_DIALECT_REFERENCE.findall(text))
