"""webtensor-sandbox-scatter: skip every scatter update whose window falls,
even partly, out of bounds.

This is XLA's scatter semantics (what JAX's `x.at[i].add(v, mode="drop")`
computes): an update window is applied whole or not at all, and nothing is
ever written outside the operand. (The StableHLO spec skips each
out-of-bounds element of a window on its own; models are written against
XLA.) IREE writes out-of-bounds windows wherever the index points, which
corrupts or crashes the host process.

Index vector component k, for operand dimension d = scatter_dims_to_operand_dims[k],
is in bounds when 0 <= index_k <= dim(operand, d) - window[d], where window[d]
is the update window's extent along d (1 for inserted_window_dims and
input_batching_dims). Batching indices are positions in scatter_indices,
always in bounds. An index vector is in bounds when clamping it into those
ranges leaves it unchanged; the clamp works on the full value in the index
type, and a bound beyond the type's largest value saturates to it.

Two rewrites:

- Fast path, when the update computation is one binary op with an identity
  applied to its two arguments (add, multiply, maximum, minimum, or, and,
  xor on integer, bool or f16/bf16/f32/f64 elements): indices are clamped, so
  every access is in bounds, and the updates of out-of-bounds windows are
  replaced by the identity, so that applying them changes nothing. Float add
  uses -0.0, the one value with x + id == x bitwise for every x, -0.0 included.

- General path, for any other computation (replace, several inputs, ...):
  every input is padded along d0 = scatter_dims_to_operand_dims[0] with
  window[d0] trailing elements, out-of-bounds windows are redirected to start
  in that padding (component 0 := dim(operand, d0), others := 0), the
  scatter runs on the padded inputs, and the padding is sliced off.

Either way the rewritten scatter has `unique_indices = false` and
`indices_are_sorted = false`: clamped or redirected indices may now collide
or be out of order, and a promise the indices break is undefined behaviour.

A scatter whose operand is empty along an inserted or batching dimension has
no window in bounds at all: its results are its inputs. Scatters on dynamic
shapes are reported as errors.

Then each sandboxed scatter without batching dimensions that IREE 3.13's
own rewrite gets wrong is brought to the form its lowering takes as it is:
every indexed dim an inserted window dim, the inserted dims leading the
operand's (a transpose, undone on the results), indices [N, K] and updates
[N, window...]. An indexed dim with a window wider than 1 (a 3-wide window
at a computed start) becomes that many index vectors, start + 0, 1, 2, each
with its slice of the update: the same writes, in the same order. IREE
rejects such valid scatters ("mismatch in shape of indices and update
value", "expected indices to be equal to batch rank or batch rank + 1").
This runs after the sandbox, on indices already in range.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

from iree.compiler import ir

from ..dialects import build
from ..dialects.attributes import (
    ScatterDimensionNumbers,
    i64_array_attr,
    scatter_dimension_numbers,
)
from ..dialects.types import (
    bool_like,
    element_type,
    has_static_shape,
    int_range,
    is_complex,
    is_float,
    is_integer,
    ranked,
    shape,
    tensor_type,
)
from ..dialects.walk import region_combiner, walk
from .base import ModulePass, Report

SCATTER = "stablehlo.scatter"

# The identity of each recognised combiner, for a float and an integer (or
# bool) element type: applying it leaves the operand's element unchanged.
IDENTITIES = {
    "stablehlo.add": lambda e: -0.0 if is_float(e) else 0,
    "stablehlo.multiply": lambda e: 1,
    "stablehlo.maximum": lambda e: -math.inf if is_float(e) else int_range(e)[0],
    "stablehlo.minimum": lambda e: math.inf if is_float(e) else int_range(e)[1],
    "stablehlo.or": lambda e: 0,
    "stablehlo.and": lambda e: -1,  # all bits set; true for i1
    "stablehlo.xor": lambda e: 0,
}

# Float types with infinities (the identities of maximum and minimum).
FAST_FLOATS = (ir.F16Type, ir.BF16Type, ir.F32Type, ir.F64Type)


@dataclasses.dataclass(frozen=True)
class SandboxScatter(ModulePass):
    name = "webtensor-sandbox-scatter"
    summary = "Skip scatter updates whose window falls out of bounds, as XLA and JAX's mode='drop' do"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module, SCATTER):
            if not all(has_static_shape(v) for v in op.operands):
                report.error(op, "the sandbox does not support scatter on dynamic shapes; give the operands static shapes")
                continue
            _sandbox(_Scatter.of(op), report)
        if report.error_count:
            return
        for op in walk(module, SCATTER):
            _lowerable(_Scatter.of(op))


@dataclasses.dataclass(frozen=True)
class _Scatter:
    """One scatter's operands and dimension numbers."""

    op: ir.Operation
    inputs: list[ir.Value]
    indices: ir.Value
    updates: list[ir.Value]
    dims: ScatterDimensionNumbers

    @classmethod
    def of(cls, op: ir.Operation) -> "_Scatter":
        operands = list(op.operands)
        n = (len(operands) - 1) // 2
        return cls(op, operands[:n], operands[n], operands[n + 1 :], scatter_dimension_numbers(op))

    @property
    def operand_shape(self) -> list[int]:
        return shape(self.inputs[0])

    def window_sizes(self) -> list[int]:
        """The update window's extent along each operand dimension."""
        not_windowed = set(self.dims.inserted_window_dims) | set(self.dims.input_batching_dims)
        windowed = [d for d in range(len(self.operand_shape)) if d not in not_windowed]
        sizes = [1] * len(self.operand_shape)
        update_shape = shape(self.updates[0])
        for d, u in zip(windowed, self.dims.update_window_dims):
            sizes[d] = update_shape[u]
        return sizes

    def update_scatter_dims(self) -> list[int]:
        """The dims of the updates that the index vectors' dims map to, in order."""
        rank = len(shape(self.updates[0]))
        return [d for d in range(rank) if d not in self.dims.update_window_dims]


def _lowerable(s: _Scatter) -> None:
    """Rewrites a sandboxed scatter into the form IREE's lowering takes
    (see the module docstring); its indices are in range by now."""
    dims = s.dims
    sdod = list(dims.scatter_dims_to_operand_dims)
    inserted = list(dims.inserted_window_dims)
    windows = s.window_sizes()
    spread = [d for d in sdod if windows[d] > 1]  # indexed dims with a wider window
    if dims.input_batching_dims or not sdod or (not spread and inserted == list(range(len(inserted)))):
        return  # IREE's own rewrite handles these
    rank = len(s.operand_shape)
    index_shape = shape(s.indices)
    ivd = dims.index_vector_dim
    batch = [d for d in range(len(index_shape)) if d != ivd]
    count = math.prod(index_shape[d] for d in batch)
    windowed = [d for d in range(rank) if d not in inserted]
    kept = [d for d in windowed if d not in spread]
    perm = sorted(inserted + spread) + kept  # every indexed or inserted dim first
    loc = s.op.location
    with ir.InsertionPoint(s.op):
        indices = _transposed_reshape(s.indices, batch + ([ivd] if ivd < len(index_shape) else []), [count, len(sdod)], loc=loc)
        i64 = ir.IntegerType.get_signless(64, s.op.context)
        if element_type(indices) != i64:  # room for start + offset, and signless
            indices = build.convert(indices, i64, loc=loc)
        update_shape = shape(s.updates[0])
        window_positions = {d: u for d, u in zip(windowed, dims.update_window_dims)}
        order = s.update_scatter_dims() + [window_positions[d] for d in spread + kept]
        per_window = [windows[d] for d in spread]
        updates_shape = [count * math.prod(per_window)] + [update_shape[window_positions[d]] for d in kept]
        updates = [_transposed_reshape(u, order, updates_shape, loc=loc) for u in s.updates]
        if spread:
            indices = _spread_windows(indices, sdod, spread, per_window, loc=loc)
        inputs = [_transposed(x, perm, loc=loc) for x in s.inputs]
        new = build.scatter_like(s.op, inputs, indices, updates, loc=loc)
        new.attributes["scatter_dimension_numbers"] = dataclasses.replace(
            dims,
            update_window_dims=tuple(range(1, len(kept) + 1)),
            inserted_window_dims=tuple(range(len(inserted) + len(spread))),
            scatter_dims_to_operand_dims=tuple(perm.index(d) for d in sdod),
            index_vector_dim=1,
        ).to_attr(new.context)
        inverse = [perm.index(d) for d in range(rank)]
        results = [_transposed(r, inverse, loc=loc) for r in new.results]
    build.replace_op(s.op, results)


def _spread_windows(indices: ir.Value, sdod: list[int], spread: list[int], sizes: list[int], *, loc: ir.Location) -> ir.Value:
    """Index vectors [N, K] -> [N * M, K]: each followed by its window's
    M = prod(sizes) positions along the `spread` dims, in row-major order."""
    count, depth = shape(indices)
    offsets = [
        [combo[spread.index(d)] if d in spread else 0 for d in sdod]
        for combo in itertools.product(*[range(n) for n in sizes])
    ]
    element = element_type(indices)
    table = build.reshape(
        build.constant_1d([v for row in offsets for v in row], element, loc=loc),
        ranked([len(offsets), depth], element), loc=loc,
    )
    wide = ranked([count, len(offsets), depth], element)
    total = build.binary(
        "add",
        build.broadcast_in_dim(indices, wide, [0, 2], loc=loc),
        build.broadcast_in_dim(table, wide, [1, 2], loc=loc),
        loc=loc,
    )
    return build.reshape(total, ranked([count * len(offsets), depth], element), loc=loc)


def _transposed(x: ir.Value, order: list[int], *, loc: ir.Location) -> ir.Value:
    t = tensor_type(x)
    if order == list(range(t.rank)):
        return x
    permuted = ranked([t.shape[d] for d in order], t.element_type)
    return build.create("stablehlo.transpose", [permuted], [x], {"permutation": i64_array_attr(order, t.context)}, loc=loc).result


def _transposed_reshape(x: ir.Value, order: list[int], new_shape: list[int], *, loc: ir.Location) -> ir.Value:
    """`x` with its dims in `order`, then reshaped to `new_shape`."""
    x = _transposed(x, order, loc=loc)
    if shape(x) == new_shape:
        return x
    return build.reshape(x, ranked(new_shape, element_type(x)), loc=loc)


def _sandbox(s: _Scatter, report: Report) -> None:
    windows = s.window_sizes()
    if any(w > n for w, n in zip(windows, s.operand_shape)):
        _drop_all(s)
        return
    upper = [s.operand_shape[d] - windows[d] for d in s.dims.scatter_dims_to_operand_dims]
    if not upper:
        _clear_promises(s.op)  # No index components: every window starts at 0, in bounds.
        return
    identity = _identity(s)
    if identity is not None:
        _mask_updates(s, upper, identity)
        return
    if not all(_has_zero(element_type(x)) for x in s.inputs):
        report.error(s.op, f"the sandbox does not support scatter on {element_type(s.inputs[0])}")
        return
    _redirect_to_padding(s, windows, upper)


def _drop_all(s: _Scatter) -> None:
    """No window fits: the operand is empty along an inserted or batching dim."""
    loc = s.op.location
    with ir.InsertionPoint(s.op):
        results = [
            x if x.type == r.type else build.convert(x, element_type(r), loc=loc)
            for x, r in zip(s.inputs, s.op.results)
        ]
    build.replace_op(s.op, results)


def _identity(s: _Scatter) -> int | float | None:
    """The identity of the update computation, when the fast path applies."""
    combiner = region_combiner(s.op)
    element = element_type(s.updates[0])
    if combiner not in IDENTITIES:
        return None
    if s.op.regions[0].blocks[0].arguments[0].type != ranked([], element):
        return None  # The computation works on a promoted type.
    if is_float(element) and not isinstance(element, FAST_FLOATS):
        return None
    if not (is_float(element) or is_integer(element)):
        return None
    return IDENTITIES[combiner](element)


def _mask_updates(s: _Scatter, upper: list[int], identity: int | float) -> None:
    """Fast path: clamp the indices, and make out-of-bounds updates no-ops."""
    loc = s.op.location
    updates = s.updates[0]
    with ir.InsertionPoint(s.op):
        clamped = build.clamp_index_vectors(s.indices, upper, s.dims.index_vector_dim, loc=loc)
        in_bounds = _in_bounds(clamped, s.indices, s.dims.index_vector_dim, loc=loc)
        in_bounds = _spread(in_bounds, bool_like(updates), s.update_scatter_dims(), loc=loc)
        kept = build.select(in_bounds, updates, build.splat(identity, tensor_type(updates), loc=loc), loc=loc)
    n = len(s.inputs)  # 1: a two-argument computation has one input
    s.op.operands[n] = clamped
    s.op.operands[n + 1] = kept
    _clear_promises(s.op)


def _redirect_to_padding(s: _Scatter, windows: list[int], upper: list[int]) -> None:
    """General path: out-of-bounds windows land in padding that is sliced off."""
    loc = s.op.location
    ivd = s.dims.index_vector_dim
    d0 = s.dims.scatter_dims_to_operand_dims[0]
    rank = len(s.operand_shape)
    high = [windows[d0] if d == d0 else 0 for d in range(rank)]
    with ir.InsertionPoint(s.op):
        clamped = build.clamp_index_vectors(s.indices, upper, ivd, loc=loc)
        in_bounds = _in_bounds(clamped, s.indices, ivd, loc=loc)
        indices = _holding(s.indices, s.operand_shape[d0], loc=loc)
        t = tensor_type(indices)
        padding = build.along_dim([s.operand_shape[d0]] + [0] * (len(upper) - 1), t, ivd, loc=loc)
        in_bounds = _spread(in_bounds, bool_like(indices), [d for d in range(t.rank) if d != ivd], loc=loc)
        indices = build.select(in_bounds, indices, padding, loc=loc)
        padded = [build.pad(x, _zero(element_type(x), loc), [0] * rank, high, loc=loc) for x in s.inputs]
        new = build.scatter_like(s.op, padded, indices, s.updates, loc=loc)
        _clear_promises(new)
        results = [build.slice_(r, [0] * rank, s.operand_shape, loc=loc) for r in new.results]
    build.replace_op(s.op, results)


def _in_bounds(clamped: ir.Value, indices: ir.Value, index_vector_dim: int, *, loc: ir.Location) -> ir.Value:
    """One i1 per index vector: clamping left every component unchanged."""
    same = build.compare("EQ", clamped, indices, loc=loc)
    if index_vector_dim == tensor_type(indices).rank:
        return same
    true = build.splat(True, ranked([], element_type(same)), loc=loc)
    return build.reduce(same, true, [index_vector_dim], "and", loc=loc)


def _spread(mask: ir.Value, t: ir.RankedTensorType, dims: list[int], *, loc: ir.Location) -> ir.Value:
    """`mask` broadcast to `t`, its dims going to `dims`."""
    if shape(mask) == list(t.shape):
        return mask
    return build.broadcast_in_dim(mask, t, dims, loc=loc)


def _holding(indices: ir.Value, value: int, *, loc: ir.Location) -> ir.Value:
    """`indices`, converted to a wider signed type if `value` does not fit theirs.
    (Only types narrower than 32 bits can be too small for a dimension size,
    and converting those to i32 is exact.)"""
    element = element_type(indices)
    if value <= int_range(element)[1]:
        return indices
    width = 32 if element.width < 32 and value < 1 << 31 else 64
    return build.convert(indices, ir.IntegerType.get_signless(width, element.context), loc=loc)


def _has_zero(element: ir.Type) -> bool:
    return is_integer(element) or is_float(element) or is_complex(element)


def _zero(element: ir.Type, loc: ir.Location) -> ir.Value:
    """A rank-0 zero of `element` (the padding value; it is sliced off)."""
    if not is_complex(element):
        return build.splat(0, ranked([], element), loc=loc)
    real = build.splat(0, ranked([], element.element_type), loc=loc)
    return build.convert(real, element, loc=loc)


def _clear_promises(op: ir.Operation) -> None:
    for name in ("unique_indices", "indices_are_sorted"):
        op.attributes[name] = ir.BoolAttr.get(False, context=op.context)
