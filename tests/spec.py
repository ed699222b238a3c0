"""The StableHLO spec's gather and scatter, one element at a time in numpy:
the oracle for index forms JAX does not emit (tests/unit) and for the
hostile suite's out-of-bounds cases (tests/hostile)."""

from __future__ import annotations

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
