"""The static cost model of the call budget: what an op costs, in work units.

A call's budget (its "fuel") is counted in work units. One unit is about a
tenth of a nanosecond of one CPU core's time: the default budget of 10^11
units is meant to bound a call to about ten seconds on a desktop CPU
(bench/budget.py measures how long a unit really takes, per kind of op).

The model charges, per op:

- a fixed OP_UNITS, what issuing one more dispatch costs inside a loop;
- for element-wise work, ELEMENT_UNITS per result element times the op's
  weight (transcendental functions cost more than adds, 64-bit and complex
  element types more than 32-bit ones);
- for contractions and windows (dot_general, convolution, reduce_window,
  select_and_scatter), one unit per multiply-add, on top of their results;
- for reductions, scans over operands: every operand element;
- for sort, which IREE runs in time quadratic in the sorted dimension,
  every element times the length of that dimension.

Each loop iteration also pays ITERATION_UNITS, the host round trip of a
loop whose condition is data. The model is deliberately pessimistic: it is
a bound on time, not a forecast of it. A dynamic dimension counts at its
bound (`dim_bound`).
"""

from __future__ import annotations

import math
from typing import Callable

from iree.compiler import ir

from .attributes import convolution_dimension_numbers, dense_i64_array, dot_dimension_numbers
from .types import has_static_shape, shape

OP_UNITS = 20_000
ITERATION_UNITS = 500_000
ELEMENT_UNITS = 8

# Per-element weights in ELEMENT_UNITS; an op not listed weighs 1.
_TRANSCENDENTAL = 8
_SLOW = 2
_WEIGHTS = {
    **{
        f"stablehlo.{name}": _TRANSCENDENTAL
        for name in (
            "exponential", "exponential_minus_one", "log", "log_plus_one", "logistic", "tanh",
            "sine", "cosine", "tan", "atan2", "power", "cbrt", "rsqrt", "sqrt", "erf_inv",
        )
    },
    **{f"stablehlo.{name}": _SLOW for name in ("divide", "remainder", "gather", "scatter", "dynamic_gather")},
}
FREE = frozenset({
    "stablehlo.constant", "stablehlo.return", "func.return", "stablehlo.while", "stablehlo.if",
    "stablehlo.case", "stablehlo.optimization_barrier", "stablehlo.get_tuple_element", "stablehlo.tuple",
})

DimBound = Callable[[ir.RankedTensorType, int], int]


def _static_bound(t: ir.RankedTensorType, dim: int) -> int:
    return 1


def op_cost(op: ir.Operation, dim_bound: DimBound = _static_bound) -> int:
    """Units one run of `op` costs. A reducer's or comparator's region runs
    per element and is counted here; other nested regions are not (a loop's
    body is charged per iteration, a branch by whoever takes it)."""
    op = op.operation
    if op.name in FREE:
        return 0
    elements = max((_elements(r.type, dim_bound) * _width(r.type) for r in op.results), default=0)
    cost = OP_UNITS + ELEMENT_UNITS * _WEIGHTS.get(op.name, 1) * elements
    special = _SPECIAL.get(op.name)
    if special is not None:
        cost += special(op, dim_bound)
    runs = _REGION_RUNS.get(op.name)
    if runs is not None:
        body = sum(1 for r in op.regions for b in r.blocks for o in b.operations if o.operation.name not in FREE)
        cost += ELEMENT_UNITS * body * runs(op, dim_bound)
    return cost


def block_cost(block: ir.Block, dim_bound: DimBound = _static_bound, skip=lambda op: False) -> int:
    """Units one run of `block` costs: its ops, and the ops of the branches
    and loops nested in it except those `skip` names (the loops that charge
    themselves). A branching op counts its dearest branch; a loop not
    skipped counts one iteration."""
    total = 0
    for op in block.operations:
        op = op.operation
        if skip(op):
            continue
        total += op_cost(op, dim_bound)
        if op.name in _REGION_RUNS:
            continue
        regions = [max((block_cost(b, dim_bound, skip) for b in r.blocks), default=0) for r in op.regions]
        if op.name in ("stablehlo.if", "stablehlo.case"):
            total += max(regions, default=0)
        else:
            total += sum(regions)
    return total


def dot_work(op: ir.Operation) -> int:
    """Multiply-adds of a dot_general."""
    numbers = dot_dimension_numbers(op)
    lhs = shape(op.operands[0])
    contracted = math.prod(lhs[d] for d in numbers.lhs_contracting_dimensions)
    return _static_elements(op.results[0]) * contracted


def dot_legacy_work(op: ir.Operation) -> int:
    return _static_elements(op.results[0]) * shape(op.operands[0])[-1]


def convolution_work(op: ir.Operation) -> int:
    """Multiply-adds of a convolution: each output element reads one kernel
    slice, the kernel's elements divided by its output features."""
    kernel = _static_elements(op.operands[1])
    output_features = max(shape(op.results[0])[convolution_dimension_numbers(op).output_feature_dimension], 1)
    return _static_elements(op.results[0]) * max(kernel // output_features, 1)


def window_work(op: ir.Operation) -> int:
    return _static_elements(op.results[0]) * math.prod(dense_i64_array(op, "window_dimensions"))


def select_and_scatter_work(op: ir.Operation) -> int:
    return _static_elements(op.operands[1]) * math.prod(dense_i64_array(op, "window_dimensions"))


def sort_work(op: ir.Operation) -> int:
    """IREE's sort compares each element with every other along the sorted
    dimension."""
    dims = shape(op.operands[0])
    return math.prod(dims) * dims[ir.IntegerAttr(op.attributes["dimension"]).value]


# Work that grows faster than an op's results: multiply-adds, window
# elements, comparisons. For static shapes only (the profile checks these
# against max_op_work, and refuses them with dynamic shapes).
WORK = {
    "stablehlo.dot_general": dot_work,
    "stablehlo.dot": dot_legacy_work,
    "stablehlo.convolution": convolution_work,
    "stablehlo.reduce_window": window_work,
    "stablehlo.select_and_scatter": select_and_scatter_work,
}


def _special(work):
    def cost(op: ir.Operation, dim_bound: DimBound) -> int:
        if not all(has_static_shape(v) for v in list(op.operands) + list(op.results)):
            return 0
        return work(op)

    return cost


def _operand_elements(op: ir.Operation, dim_bound: DimBound) -> int:
    return sum(_elements(v.type, dim_bound) * _width(v.type) for v in op.operands)


_SPECIAL = {
    **{name: _special(work) for name, work in WORK.items()},
    "stablehlo.sort": _special(sort_work),
    "stablehlo.reduce": lambda op, dim_bound: ELEMENT_UNITS * _operand_elements(op, dim_bound),
    "stablehlo.scatter": lambda op, dim_bound: ELEMENT_UNITS * _SLOW * _operand_elements(op, dim_bound),
    "stablehlo.fft": lambda op, dim_bound: ELEMENT_UNITS * _TRANSCENDENTAL * _fft_work(op, dim_bound),
}


# How many times an op runs its per-element region.
_REGION_RUNS = {
    "stablehlo.reduce": lambda op, dim_bound: _elements(op.operands[0].type, dim_bound),
    "stablehlo.map": lambda op, dim_bound: _elements(op.results[0].type, dim_bound),
    "stablehlo.reduce_window": _special(window_work),
    "stablehlo.select_and_scatter": _special(select_and_scatter_work),
    "stablehlo.sort": _special(sort_work),
    "stablehlo.scatter": lambda op, dim_bound: _elements(op.operands[-1].type, dim_bound),
}


def _fft_work(op: ir.Operation, dim_bound: DimBound) -> int:
    lengths = dense_i64_array(op, "fft_length")
    n = math.prod(lengths) or 1
    return _operand_elements(op, dim_bound) * max(n.bit_length(), 1)


def _static_elements(value: ir.Value) -> int:
    return math.prod(shape(value))


def _elements(t: ir.Type, dim_bound: DimBound) -> int:
    if not isinstance(t, ir.RankedTensorType):
        return 0
    t = ir.RankedTensorType(t)
    return math.prod(dim_bound(t, i) if t.is_dynamic_dim(i) else t.get_dim_size(i) for i in range(t.rank))


def _width(t: ir.Type) -> int:
    """How many 32-bit words one element takes: 64-bit and complex types
    cost more per element."""
    if not isinstance(t, ir.RankedTensorType):
        return 1
    element = ir.RankedTensorType(t).element_type
    if isinstance(element, ir.ComplexType):
        return 4 * _width_of(element.element_type)
    return _width_of(element)


def _width_of(element: ir.Type) -> int:
    width = getattr(element, "width", 32)
    return max(1, (width + 31) // 32)
