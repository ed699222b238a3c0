"""The typed readers of dialects/attributes.py, on attributes as IREE's
bindings print them (IREE's wheel has no Python classes for StableHLO's
attributes, so these readers are the one place that reads their syntax)."""

import re
from pathlib import Path

import pytest
from iree.compiler import ir

import webtensor.passes
from webtensor.dialects import attributes
from webtensor.dialects.walk import walk


def _op(body: str, name: str) -> ir.Operation:
    """The op named `name` in a function holding `body`."""
    module = ir.Module.parse(body, context=ir.Context())
    return walk(module.operation, name)[0]


def _attr(text: str) -> ir.Attribute:
    return ir.Attribute.parse(text, context=ir.Context())


class _Holder:
    """Stands in for an op: the readers only look at `.attributes`."""

    def __init__(self, **attrs: ir.Attribute):
        self.attributes = attrs


def test_comparison_direction_and_type():
    op = _op(
        """func.func @f(%a: tensor<2xi32>, %b: tensor<2xi32>) -> tensor<2xi1> {
          %0 = stablehlo.compare LT, %a, %b, UNSIGNED : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi1>
          return %0 : tensor<2xi1>
        }""",
        "stablehlo.compare",
    )
    assert attributes.comparison_direction(op) == "LT"
    assert attributes.comparison_type(op) == "UNSIGNED"


def test_a_compare_without_a_type_has_none():
    op = _op(
        """func.func @f(%a: tensor<2xi32>) -> tensor<2xi1> {
          %0 = stablehlo.compare GE, %a, %a : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi1>
          return %0 : tensor<2xi1>
        }""",
        "stablehlo.compare",
    )
    assert attributes.comparison_direction(op) == "GE"
    assert attributes.comparison_type(op) is None


def test_enum_makers_round_trip():
    context = ir.Context()
    holder = _Holder(
        comparison_direction=attributes.comparison_direction_attr("NE", context),
        compare_type=attributes.comparison_type_attr("TOTALORDER", context),
    )
    assert attributes.comparison_direction(holder) == "NE"
    assert attributes.comparison_type(holder) == "TOTALORDER"


def test_enum_maker_names_the_valid_values():
    with pytest.raises(ValueError, match="comparison_direction must be one of EQ, NE, GE, GT, LE, LT, not 'lt'"):
        attributes.comparison_direction_attr("lt", ir.Context())


def test_enum_reader_rejects_another_attribute():
    holder = _Holder(comparison_direction=_attr("#stablehlo<comparison_type FLOAT>"))
    with pytest.raises(ValueError, match="not a #stablehlo<comparison_direction> attribute"):
        attributes.comparison_direction(holder)


def test_dot_dimension_numbers_from_an_op():
    op = _op(
        """func.func @f(%a: tensor<4x2x3xf32>, %b: tensor<4x3x5xf32>) -> tensor<4x2x5xf32> {
          %0 = stablehlo.dot_general %a, %b, batching_dims = [0] x [0], contracting_dims = [2] x [1]
            : (tensor<4x2x3xf32>, tensor<4x3x5xf32>) -> tensor<4x2x5xf32>
          return %0 : tensor<4x2x5xf32>
        }""",
        "stablehlo.dot_general",
    )
    assert attributes.dot_dimension_numbers(op) == attributes.DotDimensionNumbers(
        lhs_batching_dimensions=(0,),
        rhs_batching_dimensions=(0,),
        lhs_contracting_dimensions=(2,),
        rhs_contracting_dimensions=(1,),
    )


def test_empty_lists_are_left_out_and_read_as_empty():
    holder = _Holder(dot_dimension_numbers=_attr("#stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>"))
    numbers = attributes.dot_dimension_numbers(holder)
    assert numbers.lhs_batching_dimensions == () and numbers.rhs_batching_dimensions == ()
    assert numbers.lhs_contracting_dimensions == (1,) and numbers.rhs_contracting_dimensions == (0,)


def test_gather_dimension_numbers():
    holder = _Holder(
        dimension_numbers=_attr(
            "#stablehlo.gather<offset_dims = [1, 2], collapsed_slice_dims = [0], "
            "start_index_map = [0, 3], index_vector_dim = 1>"
        )
    )
    assert attributes.gather_dimension_numbers(holder) == attributes.GatherDimensionNumbers(
        offset_dims=(1, 2), collapsed_slice_dims=(0,), start_index_map=(0, 3), index_vector_dim=1
    )


def test_scatter_dimension_numbers_round_trip():
    numbers = attributes.ScatterDimensionNumbers(
        update_window_dims=(1,),
        inserted_window_dims=(0,),
        input_batching_dims=(2,),
        scatter_indices_batching_dims=(0,),
        scatter_dims_to_operand_dims=(0,),
        index_vector_dim=1,
    )
    holder = _Holder(scatter_dimension_numbers=numbers.to_attr(ir.Context()))
    assert attributes.scatter_dimension_numbers(holder) == numbers


def test_a_field_the_reader_does_not_know_fails():
    # What a newer StableHLO would print: better an error than a silent zero.
    text = "#stablehlo.dot<lhs_contracting_dimensions = [1], lhs_ragged_dimensions = [0]>"
    with pytest.raises(ValueError, match="cannot read #stablehlo.dot attribute"):
        attributes._struct(text, "dot", attributes.DotDimensionNumbers)


def test_a_struct_of_another_kind_fails():
    holder = _Holder(dot_dimension_numbers=_attr("#stablehlo.gather<offset_dims = [1], index_vector_dim = 1>"))
    with pytest.raises(ValueError, match="not a #stablehlo.dot attribute"):
        attributes.dot_dimension_numbers(holder)


def test_convolution_dimension_numbers_in_role_form():
    # Roles in no canonical order: each position must come back.
    holder = _Holder(dimension_numbers=_attr("#stablehlo.conv<[f, 1, 0, b]x[i, o, 1, 0]->[1, b, f, 0]>"))
    assert attributes.convolution_dimension_numbers(holder) == attributes.ConvDimensionNumbers(
        input_batch_dimension=3,
        input_feature_dimension=0,
        input_spatial_dimensions=(2, 1),
        kernel_input_feature_dimension=0,
        kernel_output_feature_dimension=1,
        kernel_spatial_dimensions=(3, 2),
        output_batch_dimension=1,
        output_feature_dimension=2,
        output_spatial_dimensions=(3, 0),
    )


def test_convolution_without_spatial_dimensions():
    holder = _Holder(dimension_numbers=_attr("#stablehlo.conv<[b, f]x[i, o]->[f, b]>"))
    numbers = attributes.convolution_dimension_numbers(holder)
    assert numbers.input_spatial_dimensions == () and numbers.output_batch_dimension == 1


def test_convolution_dimension_numbers_in_raw_form():
    # StableHLO prints the field form when the roles cannot be drawn (here a
    # repeated dimension, which the op's verifier would reject).
    text = (
        "#stablehlo.conv<raw input_batch_dimension = 0, input_feature_dimension = 0, "
        "input_spatial_dimensions = [1, 7], kernel_input_feature_dimension = 2, "
        "kernel_output_feature_dimension = 3, kernel_spatial_dimensions = [0, 1], "
        "output_batch_dimension = 0, output_feature_dimension = 3, output_spatial_dimensions = [1, 2]>"
    )
    attr = _attr(text)
    assert str(attr).startswith("#stablehlo.conv<raw ")
    numbers = attributes.convolution_dimension_numbers(_Holder(dimension_numbers=attr))
    assert numbers.input_feature_dimension == 0 and numbers.input_spatial_dimensions == (1, 7)
    assert numbers.output_spatial_dimensions == (1, 2)


def test_declared_bounds():
    t = ir.RankedTensorType(ir.Type.parse("tensor<?x3xf32, #stablehlo.bounds<8, ?>>", context=ir.Context()))
    assert attributes.declared_bounds(t) == [8, None]
    plain = ir.RankedTensorType(ir.Type.parse("tensor<?x3xf32>", context=ir.Context()))
    assert attributes.declared_bounds(plain) is None


def test_scalar_attr_wraps_integers_to_the_type():
    context = ir.Context()
    ui32 = ir.IntegerType.get_unsigned(32, context)
    assert ir.IntegerAttr(attributes.scalar_attr(ui32, -1)).value & 0xFFFFFFFF == 0xFFFFFFFF
    assert ir.BoolAttr(attributes.scalar_attr(ir.IntegerType.get_signless(1, context), 1)).value is True


@pytest.mark.parametrize(
    "text, named",
    [
        ("unit", set()),
        ("array<i64: 1, 2>", set()),
        ("dense<[1, 2]> : tensor<2xi32>", set()),
        ("#stablehlo<comparison_type FLOAT>", {"stablehlo"}),
        ('#hal.executable.target<"llvm-cpu", "embedded-elf-x86_64">', {"hal"}),
        # Dense data: its type is read, and its encoding names a dialect.
        ("dense<1.0> : tensor<1xf32, #hal.descriptor_type<storage_buffer>>", {"hal"}),
        ("{inner = [1 : i32, dense<2> : tensor<1xi32, #util.byte_pattern<1>>]}", {"util"}),
        ("tuple<i32, !hal.device>", {"hal"}),
        ("tensor<?xf32, #stablehlo.bounds<4>>", {"stablehlo"}),
        # An element the bindings cannot hand over (complex dense data):
        # the container's printed form is searched instead.
        ("[dense<(1.0, 2.0)> : tensor<1xcomplex<f32>, #hal.descriptor_type<storage_buffer>>]", {"hal"}),
        # Strings are read as if they were IR: a false alarm at worst.
        ('"#flow.dispatch"', {"flow"}),
    ],
)
def test_dialects_named(text, named):
    assert attributes.dialects_named(_attr(text)) == named


def test_passes_read_attributes_through_the_readers():
    # STYLE.md: passes read attributes through dialects/, never by slicing
    # printed IR. Printing an attribute to take it apart is attributes.py's
    # job alone.
    sliced = re.compile(r"str\([^)]*(attributes\[|\.encoding\b)")
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(Path(webtensor.passes.__file__).parent.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if sliced.search(line)
    ]
    assert offenders == []
