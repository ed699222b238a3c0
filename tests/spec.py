"""The StableHLO semantics WebTensor defines, one element at a time in
plain Python and numpy: the oracle of the unit tests (for forms JAX does not
emit) and of the hostile suite (tests/hostile).
"""

from __future__ import annotations

import math

import numpy as np


def gather_reference(operand, indices, *, offset_dims=(), collapsed=(), operand_batching=(), indices_batching=(), start_index_map, index_vector_dim, slice_sizes):
    """The StableHLO spec's gather, one result element at a time."""
    rank = operand.ndim
    batch_shape = [n for d, n in enumerate(indices.shape) if d != index_vector_dim]
    offset_sizes = [n for d, n in enumerate(slice_sizes) if d not in collapsed and d not in operand_batching]
    result_rank = len(batch_shape) + len(offset_sizes)
    batch_dims = [d for d in range(result_rank) if d not in offset_dims]
    result_shape = [0] * result_rank
    for d, n in zip(batch_dims, batch_shape):
        result_shape[d] = n
    for d, n in zip(offset_dims, offset_sizes):
        result_shape[d] = n
    result = np.zeros(result_shape, operand.dtype)
    for result_index in np.ndindex(*result_shape):
        batch_index = [result_index[d] for d in batch_dims]
        start = index_vector(indices, batch_index, index_vector_dim)
        operand_index = [0] * rank
        for k, d in enumerate(start_index_map):
            operand_index[d] = min(max(start[k], 0), operand.shape[d] - slice_sizes[d])
        for d, d_start in zip(operand_batching, indices_batching):
            operand_index[d] += batch_index[d_start - (0 if d_start < index_vector_dim else 1)]
        offsets = iter(result_index[d] for d in offset_dims)
        for d in range(rank):
            if d not in collapsed and d not in operand_batching:
                operand_index[d] += next(offsets)
        result[result_index] = operand[tuple(operand_index)]
    return result


def scatter_reference(inputs, indices, updates, combine, *, update_window_dims=(), inserted=(), input_batching=(), indices_batching=(), scatter_dims_to_operand_dims, index_vector_dim):
    """XLA's scatter: the spec's, with a window that does not fit whole skipped."""
    results = [x.copy() for x in inputs]
    shape = inputs[0].shape
    windowed = [d for d in range(len(shape)) if d not in inserted and d not in input_batching]
    window = [1] * len(shape)
    for d, u in zip(windowed, update_window_dims):
        window[d] = updates[0].shape[u]
    scatter_dims = [d for d in range(updates[0].ndim) if d not in update_window_dims]
    for update_index in np.ndindex(*updates[0].shape):
        scatter_index = [update_index[d] for d in scatter_dims]
        start = index_vector(indices, scatter_index, index_vector_dim)
        if not all(0 <= s <= shape[d] - window[d] for s, d in zip(start, scatter_dims_to_operand_dims)):
            continue
        result_index = [0] * len(shape)
        for s, d in zip(start, scatter_dims_to_operand_dims):
            result_index[d] = s
        for d, d_start in zip(input_batching, indices_batching):
            result_index[d] += scatter_index[d_start - (0 if d_start < index_vector_dim else 1)]
        offsets = iter(update_index[d] for d in update_window_dims)
        for d in windowed:
            result_index[d] += next(offsets)
        at = tuple(result_index)
        new = combine(*[r[at] for r in results], *[u[update_index] for u in updates])
        for r, value in zip(results, new):
            r[at] = value
    return results


def index_vector(indices, batch_index, index_vector_dim) -> list[int]:
    if index_vector_dim == indices.ndim:
        return [int(indices[tuple(batch_index)])]
    at = (*batch_index[:index_vector_dim], slice(None), *batch_index[index_vector_dim:])
    return [int(v) for v in indices[at]]


def edge_values(dtype, size: int, window: int = 1) -> list[int]:
    """Start indices around and far outside [0, size - window] that fit `dtype`:
    the last valid start, partial windows, negatives, the type's extremes and
    64-bit values that IREE would truncate to small ones."""
    info = np.iinfo(dtype)
    candidates = [
        0, size - window, size - window + 1, size, size + 1, -1, -window, 2 * size,
        info.min, info.min + 1, info.max, info.max - 1,
        2**31 - 1, 2**31, -(2**31), 2**32 - 1, 2**32, 2**32 + 1, 2**32 + 3, -(2**32) + 1,
        2**63 - 1, 2**63, 2**64 - 1,
    ]
    return [v for v in dict.fromkeys(candidates) if info.min <= v <= info.max]


def convert_reference(x: float, dtype) -> int:
    """Saturating, NaN to 0, truncation toward zero in range."""
    info = np.iinfo(dtype)
    if math.isnan(x):
        return 0
    if math.isinf(x):
        return int(info.max) if x > 0 else int(info.min)
    return min(max(math.trunc(x), int(info.min)), int(info.max))


def reduce_window_size(n, window, stride, padding, base, dilation) -> int:
    padded = (n - 1) * base + 1 + sum(padding)
    span = (window - 1) * dilation + 1
    return 0 if padded < span else (padded - span) // stride + 1


def reduce_window_spec(x, init, window, stride, padding, base, dilation, reducer):
    """The spec's formula: pad with init (holes of the base dilation too),
    then fold each window, starting from init."""
    dilated = [init] * ((len(x) - 1) * base + 1)
    dilated[::base] = list(x)
    low, high = padding
    padded = [init] * max(low, 0) + dilated[max(-low, 0) : len(dilated) - max(-high, 0)] + [init] * max(high, 0)
    m = reduce_window_size(len(x), window, stride, padding, base, dilation)
    combine = {"add": lambda a, b: a + b, "maximum": max, "minimum": min}[reducer]
    out = []
    for k in range(m):
        value = init
        for j in range(window):
            value = combine(value, padded[k * stride + j * dilation])
        out.append(value)
    return out
