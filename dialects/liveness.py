"""An estimate of the peak memory of one call, from SSA liveness.

A tensor is counted from the op that defines it to the last op that uses it
(a use inside a nested region counts as a use by the op that holds the
region). The peak of a block is the largest sum of live tensors at any op,
plus whatever that op's own regions need at their peak. It is an estimate:
IREE may fuse tensors away or reuse buffers, but it never needs memory for
two values at once that this count would not also hold.

Some ops need more than their operands and results: IREE 3.13 materialises
the padded (and base-dilated) input of `convolution` and `reduce_window`,
copies a convolution's operands and result into its canonical layout, and
a `dot_general`'s operands and a `scatter`'s updates into theirs (each seen
in the linalg that its StableHLO input pipeline makes). `scratch_bytes`
counts those buffers, and the peak holds them while their op runs. Other
temporaries (a gather's clamped indices, the positions a stable sort adds,
a scatter's padded operand) are ops of the sandboxed module, counted like
any other value.
"""

from __future__ import annotations

import math

from iree.compiler import ir

from .attributes import (
    convolution_dimension_numbers,
    dense_i64_array,
    dot_dimension_numbers,
    scatter_dimension_numbers,
)
from .types import element_type, has_static_shape, shape


def element_bytes(element: ir.Type) -> int:
    if isinstance(element, ir.ComplexType):
        return 2 * element_bytes(element.element_type)
    width = element.width
    return max(1, (width + 7) // 8)


def tensor_bytes(t: ir.Type, dim_bound) -> int:
    """Bytes of a tensor type; `dim_bound(t, i)` sizes dynamic dims."""
    if not isinstance(t, ir.RankedTensorType):
        return 0
    count = 1
    for i in range(t.rank):
        count *= dim_bound(t, i) if t.is_dynamic_dim(i) else t.get_dim_size(i)
    return count * element_bytes(t.element_type)


def peak_bytes(block: ir.Block, dim_bound) -> int:
    """Peak live bytes while `block` runs, its arguments included."""
    ops = list(block.operations)
    last_use = _last_uses(block, ops)
    dies_at: dict[int, list[ir.Value]] = {}
    for value, index in last_use.items():
        dies_at.setdefault(index, []).append(value)
    live: dict[ir.Value, int] = {}
    for arg in block.arguments:
        live[arg] = tensor_bytes(arg.type, dim_bound)
    current = sum(live.values())
    peak = current
    for index, op in enumerate(ops):
        nested = max((peak_bytes(b, dim_bound) for r in op.regions for b in r.blocks), default=0)
        produced = sum(tensor_bytes(r.type, dim_bound) for r in op.results)
        peak = max(peak, current + produced + nested + scratch_bytes(op.operation))
        current += produced
        for result in op.results:
            live[result] = tensor_bytes(result.type, dim_bound)
        for value in dies_at.get(index, ()):
            if value in live:
                current -= live.pop(value)
        # A result nobody uses dies right away.
        for result in op.results:
            if result in live and result not in last_use:
                current -= live.pop(result)
    return peak


def _last_uses(block: ir.Block, ops: list) -> dict[ir.Value, int]:
    """For each value used in `block`, the index of the last op that uses it."""
    last: dict[ir.Value, int] = {}
    for index, op in enumerate(ops):
        for used in _used_values(op.operation):
            last[used] = index
    return last


def _used_values(op: ir.Operation):
    stack = [op]
    while stack:
        current = stack.pop()
        yield from current.operands
        for region in current.regions:
            for block in region.blocks:
                stack.extend(inner.operation for inner in block.operations)


def scratch_bytes(op: ir.Operation) -> int:
    """Bytes of the buffers IREE materialises for `op` beyond its operands
    and results (0 where a shape is dynamic: such ops are not padded)."""
    measure = _SCRATCH.get(op.name)
    if measure is None or not all(has_static_shape(v) for v in list(op.operands) + list(op.results)):
        return 0
    return measure(op)


def padded_input_elements(op: ir.Operation) -> int | None:
    """Elements of the padded, base-dilated input that IREE makes for a
    `convolution` or `reduce_window`; None when the op pads nothing."""
    if op.name not in ("stablehlo.convolution", "stablehlo.reduce_window"):
        return None
    if not all(has_static_shape(v) for v in op.operands):
        return None
    dims = shape(op.operands[0])
    spatial = convolution_dimension_numbers(op).input_spatial_dimensions if op.name == "stablehlo.convolution" else list(range(len(dims)))
    dilation_name = "lhs_dilation" if op.name == "stablehlo.convolution" else "base_dilations"
    dilations = dense_i64_array(op, dilation_name) or (1,) * len(spatial)
    padding = _padding_pairs(op, len(spatial))
    if all(d == 1 for d in dilations) and all(lo == 0 and hi == 0 for lo, hi in padding):
        return None
    padded = list(dims)
    for dim, d, (lo, hi) in zip(spatial, dilations, padding):
        n = dims[dim]
        padded[dim] = max(lo + hi + (n - 1) * d + 1, 0) if n else max(lo + hi, 0)
    return math.prod(padded)


def _convolution_scratch(op: ir.Operation) -> int:
    numbers = convolution_dimension_numbers(op)
    element = element_bytes(element_type(op.operands[0]))
    total = 0
    padded = padded_input_elements(op)
    if padded is not None:
        total += padded * element
    elif not _in_order(numbers.input_batch_dimension, *numbers.input_spatial_dimensions, numbers.input_feature_dimension):
        total += _static_bytes(op.operands[0])
    if not _in_order(*numbers.kernel_spatial_dimensions, numbers.kernel_input_feature_dimension, numbers.kernel_output_feature_dimension):
        total += _static_bytes(op.operands[1])
    if not _in_order(numbers.output_batch_dimension, *numbers.output_spatial_dimensions, numbers.output_feature_dimension):
        total += _static_bytes(op.results[0])
    return total


def _reduce_window_scratch(op: ir.Operation) -> int:
    padded = padded_input_elements(op)
    if padded is None:
        return 0
    count = len(op.operands) // 2
    return sum(padded * element_bytes(element_type(v)) for v in op.operands[:count])


def _dot_general_scratch(op: ir.Operation) -> int:
    """IREE moves batch dims first and contracting dims between the free
    ones (lhs: batch, free, contracting; rhs: batch, contracting, free),
    copying an operand that is not laid out so."""
    numbers = dot_dimension_numbers(op)
    total = 0
    sides = (
        (op.operands[0], numbers.lhs_batching_dimensions, numbers.lhs_contracting_dimensions, True),
        (op.operands[1], numbers.rhs_batching_dimensions, numbers.rhs_contracting_dimensions, False),
    )
    for operand, batch, contracting, contracting_last in sides:
        batch, contracting = list(batch), list(contracting)
        rank = len(shape(operand))
        free = [d for d in range(rank) if d not in batch and d not in contracting]
        order = batch + (free + contracting if contracting_last else contracting + free)
        if order != list(range(rank)):
            total += _static_bytes(operand)
    return total


def _scatter_scratch(op: ir.Operation) -> int:
    """IREE copies the updates when their window dims do not trail."""
    numbers = scatter_dimension_numbers(op)
    count = (len(op.operands) - 1) // 2
    updates = op.operands[1 + count :]
    rank = len(shape(updates[0]))
    window = list(numbers.update_window_dims)
    if window == list(range(rank - len(window), rank)):
        return 0
    return sum(_static_bytes(u) for u in updates)


_SCRATCH = {
    "stablehlo.convolution": _convolution_scratch,
    "stablehlo.reduce_window": _reduce_window_scratch,
    "stablehlo.dot_general": _dot_general_scratch,
    "stablehlo.scatter": _scatter_scratch,
}


def _static_bytes(value: ir.Value) -> int:
    return tensor_bytes(value.type, lambda t, i: 0)


def _in_order(*dims: int) -> bool:
    """Whether an operand is laid out as IREE wants it: `dims` are where its
    roles sit, taken in IREE's order (batch, the spatial dims in window
    order, feature; for the kernel: spatial, input feature, output feature)."""
    return list(dims) == list(range(len(dims)))


def _padding_pairs(op: ir.Operation, rank: int) -> list[tuple[int, int]]:
    if "padding" not in op.attributes:
        return [(0, 0)] * rank
    flat = [int(v) for v in ir.DenseIntElementsAttr(op.attributes["padding"])]
    return list(zip(flat[0::2], flat[1::2]))
