"""webtensor-sandbox-select-and-scatter: select_and_scatter picks the element
XLA picks, with any windows.

In each window, select_and_scatter keeps a current element and offers it
the window's elements in order; the spec leaves that schedule to the
implementation. XLA (and so jax.grad of max pooling) keeps the current
element c over a candidate x when select(c, x) holds, offers the window's
elements in row-major order, never offers a padding position (a window of
padding only selects nothing, and its source element is dropped), and
applies the source elements to a position in row-major source order, as
scatter(accumulated, source).

IREE 3.13 lowers select_and_scatter only when the windows tile the operand
(window == stride, no padding), on signed, float and complex elements. So
the sandbox decomposes every select_and_scatter of static shapes and at
most MAX_WINDOW_ELEMENTS window elements (overlapping windows such as the
3x3, stride-2 max pooling in ResNet, windows with gaps, padding, unsigned
elements, and tiling windows too: the decomposition ran 2.4 to 3 times
faster than IREE's own lowering on 2x2 max-pool gradients) into ops IREE
lowers well. For window offset k (one of the W window positions,
row-major), a strided slice of the operand lines up the k-th element of
every window with the source; windows whose k-th element is padding get a
filler value there and a false `valid` bit:

    best, index = x_0, 0
    for k in 1..W-1:
        take = valid_k and (no valid element before k, or not select(best, x_k))
        best, index = take ? x_k : best, take ? k : index

Then the index and the source are spread out to operand positions by a pad
with interior padding stride-1, and for k from W-1 down to 0 a slice of
them, shifted by offset k, says which positions get a source element from
offset k (for one k, distinct windows land on distinct positions), combined
there with the scatter region:

    result = broadcast(init)
    result = (spread_index shifted by k == k) ? scatter(result, spread_source shifted by k) : result

A position p gets its k-th contribution from window (p + low - k) / stride,
so decreasing k is increasing row-major source order: XLA's order, which
makes float sums bit-identical. Both regions run elementwise as
stablehlo.map. IREE fuses the select into one kernel and the scatter into
another, whatever W. The ops grow with W, and IREE's compile time with them,
so the profile caps W (webtensor-verify-profile).

What is left to IREE's own lowering (tiling windows of dynamic shapes,
complex<f64>, more elements than the cap) needs one fix: IREE calls the
select region the other way round, taking x when select(x, c) holds. With
select = GE, ties go to the last maximum instead of the first, and a NaN is
kept where XLA moves on. The sandbox rewrites the region so that IREE's
call order computes XLA's:

    select'(x, c) = not select(c, x)

IREE takes x exactly when XLA would not keep c. (Its lowering takes the
window's first element unconditionally, so the uninitialized running value
it starts from never reaches a result.)

One known difference from jax on the CPU: there XLA rewrites a padded
select_and_scatter into a reduce_window, which for some paddings (one-sided
padding of the last dimension, as SAME pooling of an even size has) offers a
window's elements in another order. Ties then go to another element; we keep
the row-major order on every target (tests/unit/test_sandbox_windows.py).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

from iree.compiler import ir

from ..dialects import build
from ..dialects.attributes import dense_i64_array, i64_array_attr
from ..dialects.types import (
    bit_width,
    element_type,
    has_static_shape,
    is_complex,
    is_unsigned,
    ranked,
    shape,
    tensor_type,
)
from ..dialects.walk import walk
from .base import ModulePass, Report

SELECT_AND_SCATTER = "stablehlo.select_and_scatter"

# Window elements above which the decomposition is refused. It makes about
# 15 ops per window element, and IREE's compile time grows with them: on a
# busy 2-core machine, 14 s for an 8x8 window, 46 s for 16x16. 64 covers
# the pooling windows models use (2x2, 3x3, 5x5, 7x7, 8x8; 4x4x4 in 3-D).
MAX_WINDOW_ELEMENTS = 64


@dataclasses.dataclass(frozen=True)
class SandboxSelectAndScatter(ModulePass):
    name = "webtensor-sandbox-select-and-scatter"
    summary = "Decompose select_and_scatter into ops IREE lowers well; in every window, choose the element XLA chooses"

    def run(self, module: ir.Operation, report: Report) -> None:
        for op in walk(module, SELECT_AND_SCATTER):
            if decomposable(op):
                _decompose(op)
            elif iree_lowers(op):
                _swap_select(op)


@dataclasses.dataclass(frozen=True)
class Windows:
    window: tuple[int, ...]
    strides: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, op: ir.Operation) -> "Windows":
        window = dense_i64_array(op, "window_dimensions")
        strides = dense_i64_array(op, "window_strides") or (1,) * len(window)
        padding = ((0, 0),) * len(window)
        if "padding" in op.attributes:
            flat = [int(v) for v in ir.DenseIntElementsAttr(op.attributes["padding"])]
            padding = tuple(zip(flat[0::2], flat[1::2]))
        return cls(tuple(window), tuple(strides), padding)

    @property
    def elements(self) -> int:
        return math.prod(self.window)

    @property
    def tile(self) -> bool:
        return self.window == self.strides and all(lo == 0 and hi == 0 for lo, hi in self.padding)


def iree_lowers(op: ir.Operation) -> bool:
    """IREE 3.13's own lowering: tiling windows, no unsigned elements."""
    return Windows.of(op).tile and not is_unsigned(element_type(op.operands[0]))


def decomposable(op: ir.Operation) -> bool:
    """Static shapes, a window within the cap, and no complex<f64> (IREE
    3.13 cannot pad with a 128-bit value)."""
    element = element_type(op.operands[0])
    return (
        all(has_static_shape(v) for v in list(op.operands) + list(op.results))
        and Windows.of(op).elements <= MAX_WINDOW_ELEMENTS
        and not (is_complex(element) and bit_width(element) == 128)
    )


def _swap_select(op: ir.Operation) -> None:
    """Rewrites the select region in place: a swapped copy of its body, then
    `not`, then the original body (now unused) erased."""
    loc = op.location
    block = op.regions[0].blocks[0]
    original = [o.operation for o in block.operations]
    candidate, current = block.arguments
    terminator = original[-1]
    with ir.InsertionPoint(terminator):
        keep_current = build.inline_block(block, [current, candidate])[0]
        terminator.operands[0] = build.unary("not", keep_current, loc=loc)
    for unused in reversed(original[:-1]):
        unused.erase()


@dataclasses.dataclass(frozen=True)
class _Offset:
    """Window offset k and, per dimension, the windows [first, last] whose
    k-th element is an operand element (not padding)."""

    k: int
    offset: tuple[int, ...]
    first: tuple[int, ...]
    last: tuple[int, ...]

    def covers_all(self, source_shape: Sequence[int]) -> bool:
        return all(a == 0 and b == m - 1 for a, b, m in zip(self.first, self.last, source_shape))

    def operand_span(self, windows: Windows) -> tuple[list[int], list[int]]:
        """Per dimension, the operand positions of the k-th element of the
        first and of the last of those windows."""
        steps = list(zip(self.offset, windows.strides, windows.padding))
        begin = [o + s * a - low for (o, s, (low, _)), a in zip(steps, self.first)]
        end = [o + s * b - low for (o, s, (low, _)), b in zip(steps, self.last)]
        return begin, end


def _offsets(windows: Windows, operand_shape: Sequence[int], source_shape: Sequence[int]) -> list[_Offset]:
    """The window offsets that reach at least one operand element, row-major."""
    found = []
    for k, offset in enumerate(_row_major(windows.window)):
        first, last = [], []
        for o, s, (low, _), n, m in zip(offset, windows.strides, windows.padding, operand_shape, source_shape):
            # Window w reads operand position o + s*w - low; keep 0 <= it < n.
            first.append(max(0, -(-(low - o) // s)))
            last.append(min(m - 1, (n - 1 + low - o) // s))
        if all(a <= b for a, b in zip(first, last)):
            found.append(_Offset(k, offset, tuple(first), tuple(last)))
    return found


def _row_major(window: Sequence[int]) -> list[tuple[int, ...]]:
    offsets = [()]
    for size in window:
        offsets = [o + (i,) for o in offsets for i in range(size)]
    return offsets


def _decompose(op: ir.Operation) -> None:
    loc = op.location
    operand, source, init = op.operands
    windows = Windows.of(op)
    operand_shape, source_shape = shape(operand), shape(source)
    result_type = tensor_type(op.results[0])
    with ir.InsertionPoint(op):
        result = build.broadcast_in_dim(init, result_type, [], loc=loc)
        offsets = _offsets(windows, operand_shape, source_shape)
        if offsets and math.prod(source_shape):
            index = _select(op, operand, windows, offsets, source_shape)
            result = _scatter(op, result, source, index, windows, offsets)
    build.replace_op(op, [result])


def _select(op, operand, windows, offsets, source_shape) -> ir.Value:
    """For every window, the k of the element it selects, or -1 for a window
    of padding only (its source element goes nowhere)."""
    loc = op.location
    i32 = ir.IntegerType.get_signless(32, loc.context)
    index_type = ranked(source_shape, i32)
    best = index = seen = None
    for offset in offsets:
        x = _window_elements(operand, windows, offset, source_shape, loc)
        valid = None if offset.covers_all(source_shape) else _valid(offset, source_shape, loc)
        if best is None:
            best, index, seen = x, build.splat(offset.k, index_type, loc=loc), valid
            continue
        keep = _map(op.regions[0].blocks[0], [best, x], loc)
        take = build.unary("not", keep, loc=loc)
        if seen is not None:
            take = build.binary("or", take, build.unary("not", seen, loc=loc), loc=loc)
        if valid is not None:
            take = build.binary("and", take, valid, loc=loc)
        best = build.select(take, x, best, loc=loc)
        index = build.select(take, build.splat(offset.k, index_type, loc=loc), index, loc=loc)
        seen = None if seen is None or valid is None else build.binary("or", seen, valid, loc=loc)
    if seen is not None:
        index = build.select(seen, index, build.splat(-1, index_type, loc=loc), loc=loc)
    return index


def _window_elements(operand, windows, offset: _Offset, source_shape, loc) -> ir.Value:
    """The offset's element of every window; where that is padding, the
    operand's first element (never selected: `valid` is false there)."""
    begin, end = offset.operand_span(windows)
    x = build.slice_(operand, begin, [e + 1 for e in end], loc=loc, strides=windows.strides)
    if offset.covers_all(source_shape):
        return x
    rank = len(source_shape)
    first = build.slice_(operand, [0] * rank, [1] * rank, loc=loc)
    filler = build.reshape(first, ranked([], element_type(operand)), loc=loc)
    high = [m - 1 - b for m, b in zip(source_shape, offset.last)]
    return build.pad(x, filler, offset.first, high, loc=loc)


def _valid(offset: _Offset, source_shape, loc) -> ir.Value:
    """True at the windows whose offset element is an operand element."""
    i32 = ir.IntegerType.get_signless(32, loc.context)
    positions = ranked(source_shape, i32)
    valid = None
    for dim, (a, b, m) in enumerate(zip(offset.first, offset.last, source_shape)):
        if a == 0 and b == m - 1:
            continue
        w = build.iota(positions, dim, loc=loc)
        bounds = [("GE", a)] if a > 0 else []
        bounds += [("LE", b)] if b < m - 1 else []
        for direction, bound in bounds:
            inside = build.compare(direction, w, build.splat(bound, positions, loc=loc), loc=loc)
            valid = inside if valid is None else build.binary("and", valid, inside, loc=loc)
    return valid


def _scatter(op, result, source, index, windows: Windows, offsets: list[_Offset]) -> ir.Value:
    """result, with scatter(result, s) applied at the operand position each
    window selected, from the last offset down to the first.

    The source and the index are spread out once to operand positions, by a
    pad with interior padding stride-1: spread[j] holds window (j - low) /
    stride where that divides, and an index of -1 (no offset) elsewhere. The
    window whose offset-k element sits at position p is then at j = p - o_k +
    (pad low), so offset k reads a plain slice of the spread tensors: IREE
    fuses all of them into one kernel, where a pad per offset cost a kernel
    and a copy each."""
    loc = op.location
    operand_shape = shape(result)
    shift_max = [w - 1 - lo for w, (lo, _) in zip(windows.window, windows.padding)]
    low = [max(0, t) for t in shift_max]
    high = [
        max(0, n + lo - m * s + s - 1)
        for n, m, s, (lo, _) in zip(operand_shape, shape(source), windows.strides, windows.padding)
    ]
    interior = [s - 1 for s in windows.strides]
    none = build.splat(-1, ranked([], element_type(index)), loc=loc)
    spread_index = build.pad(index, none, low, high, loc=loc, interior=interior)
    spread_source = build.pad(source, op.operands[2], low, high, loc=loc, interior=interior)
    for offset in reversed(offsets):
        start = [l - (o - lo) for l, o, (lo, _) in zip(low, offset.offset, windows.padding)]
        limit = [b + n for b, n in zip(start, operand_shape)]
        at = build.slice_(spread_index, start, limit, loc=loc)
        chosen = build.compare("EQ", at, build.splat(offset.k, tensor_type(at), loc=loc), loc=loc)
        values = build.slice_(spread_source, start, limit, loc=loc)
        combined = _map(op.regions[1].blocks[0], [result, values], loc)
        result = build.select(chosen, combined, result, loc=loc)
    return result


def _map(body: ir.Block, inputs: Sequence[ir.Value], loc) -> ir.Value:
    """A region of rank-0 arguments applied elementwise, as stablehlo.map."""
    rank = len(shape(inputs[0]))
    scalars = [ranked([], element_type(v)) for v in inputs]
    returned = body.operations[len(body.operations) - 1].operands[0]
    result_type = ranked(shape(inputs[0]), element_type(returned))
    attributes = {"dimensions": i64_array_attr(range(rank), loc.context)}
    new = build.create("stablehlo.map", [result_type], inputs, attributes, loc=loc, regions=1)
    block = new.regions[0].blocks.append(*scalars, arg_locs=[loc] * len(scalars))
    with ir.InsertionPoint(block):
        values = build.inline_block(body, list(block.arguments))
        build.create("stablehlo.return", [], values, loc=loc)
    return new.result
