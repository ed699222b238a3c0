"""Differential tests for the indexing sandbox (webtensor-sandbox-gather,
-scatter and -dynamic-slice), end to end through IREE.

In bounds, a sandboxed model computes bit for bit what jax.jit computes: the
sandbox never changes a correct model. Out of bounds it computes what JAX
defines: gather clamps (mode="clip"), scatter drops every update window that
does not fit whole (mode="drop"), dynamic_slice and dynamic_update_slice
clamp. Gathers are compiled with mode="promise_in_bounds", whose IR is the
bare op, and compared with jax.jit in mode="clip"; JAX's "drop" scatter is
the bare op already.

Forms JAX never emits (index_vector_dim == rank(indices) or first, or/and/xor
computations) are StableHLO text, checked against `gather_reference` and
`scatter_reference`: the spec's semantics, in numpy. IREE 3.13 compiles no
variadic scatter, and no scatter whose update window spans a scattered
dimension or only part of another one (so none that IREE compiles can have a
window partly out of bounds); those are covered by the lit tests only, and
the references are checked against JAX on such a window.

Unsandboxed out-of-bounds code is never run here: it can crash the process.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from jax import lax

import webtensor
from webtensor.tests.spec import edge_values, gather_reference, scatter_reference

CLIP = lax.GatherScatterMode.CLIP
DROP = lax.GatherScatterMode.FILL_OR_DROP
RAW = lax.GatherScatterMode.PROMISE_IN_BOUNDS

INDEX_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]


def x64(*dtypes):
    """JAX's 64-bit mode, for this block only, when any dtype needs it."""
    return jax.enable_x64(any(np.dtype(d).itemsize == 8 for d in dtypes))


def assert_same_bits(got, want, what=""):
    want = np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, what
    np.testing.assert_array_equal(_bits(got), _bits(want), err_msg=what)


def _bits(a: np.ndarray) -> np.ndarray:
    """Floats as their bit patterns, so that -0.0 != 0.0 and NaNs compare."""
    if a.dtype.kind == "f":
        return a.view(f"u{a.dtype.itemsize}")
    if a.dtype.kind == "c":
        return a.view(f"u{a.dtype.itemsize // 2}")
    return a





def index_array(values: list[int], shape: tuple[int, ...], dtype, rng) -> np.ndarray:
    """`values` shuffled into `shape`: each at least once where there is room,
    a random choice of them where there is not."""
    count = int(np.prod(shape))
    order = list(rng.permutation(len(values))) + list(rng.integers(0, len(values), max(0, count - len(values))))
    picked = np.array([values[k] for k in order[:count]], dtype=dtype)
    return rng.permutation(picked).reshape(shape)


def in_bounds(rng, high: int, shape, dtype) -> np.ndarray:
    """Random valid start indices in [0, high], within dtype's range."""
    return rng.integers(0, min(high, np.iinfo(dtype).max) + 1, shape).astype(dtype)


# --- gather through JAX --------------------------------------------------------

ROWS = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
WINDOWS = lax.GatherDimensionNumbers(offset_dims=(1, 2), collapsed_slice_dims=(), start_index_map=(0, 1))


def gathers(mode):
    """Rows of a 300-row table (beyond i8 and ui8), and 2x3 windows of a 10x6 one."""

    def f(table, rows, grid, starts):
        return (
            lax.gather(table, rows, ROWS, slice_sizes=(1, 3), mode=mode),
            lax.gather(grid, starts, WINDOWS, slice_sizes=(2, 3), mode=mode),
        )

    return f


@pytest.mark.parametrize("dtype", INDEX_DTYPES, ids=lambda d: np.dtype(d).name)
def test_gather(dtype):
    rng = np.random.default_rng(1)
    table = rng.standard_normal((300, 3)).astype(np.float32)
    grid = rng.standard_normal((10, 6)).astype(np.float32)
    with x64(dtype):
        model = webtensor.compile(gathers(RAW), table, np.zeros((24, 1), dtype), grid, np.zeros((24, 2), dtype))
        for _ in range(2):
            rows = in_bounds(rng, 299, (24, 1), dtype)
            starts = np.concatenate([in_bounds(rng, 8, (24, 1), dtype), in_bounds(rng, 3, (24, 1), dtype)], axis=1)
            got, want = model(table, rows, grid, starts), jax.jit(gathers(RAW))(table, rows, grid, starts)
            jax.tree_util.tree_map(lambda g, w: assert_same_bits(g, w, "in bounds"), got, tuple(want))

            rows = index_array(edge_values(dtype, 300), (24, 1), dtype, rng)
            starts = np.concatenate(
                [index_array(edge_values(dtype, 10, 2), (24, 1), dtype, rng), index_array(edge_values(dtype, 6, 3), (24, 1), dtype, rng)],
                axis=1,
            )
            got, want = model(table, rows, grid, starts), jax.jit(gathers(CLIP))(table, rows, grid, starts)
            jax.tree_util.tree_map(lambda g, w: assert_same_bits(g, w, "out of bounds"), got, tuple(want))


BATCHED = lax.GatherDimensionNumbers(
    offset_dims=(2,), collapsed_slice_dims=(1,), start_index_map=(1,),
    operand_batching_dims=(0,), start_indices_batching_dims=(0,),
)


@pytest.mark.parametrize("dtype", [np.int8, np.int32])
def test_gather_with_batching_dims(dtype):
    def f(mode):
        return lambda x, i: lax.gather(x, i, BATCHED, slice_sizes=(1, 1, 4), mode=mode)

    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 10, 4)).astype(np.float32)
    model = webtensor.compile(f(RAW), x, np.zeros((3, 5, 1), dtype))
    inside = in_bounds(rng, 9, (3, 5, 1), dtype)
    assert_same_bits(model(x, inside), jax.jit(f(RAW))(x, inside))
    outside = index_array(edge_values(dtype, 10), (3, 5, 1), dtype, rng)
    assert_same_bits(model(x, outside), jax.jit(f(CLIP))(x, outside))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_numpy_style_indexing(dtype):
    """What models write: x[i] and x.at[i].get(...); negative indices count from the end."""

    def lookups(table, i):
        return table[i], table.at[i].get(mode="promise_in_bounds")

    def clipped(table, i):
        return table[i], table.at[i].get(mode="clip")

    rng = np.random.default_rng(3)
    table = rng.standard_normal((50, 8)).astype(np.float32)
    with x64(dtype):
        model = webtensor.compile(lookups, table, np.zeros(16, dtype))
        inside = rng.integers(-50, 50, 16).astype(dtype)
        jax.tree_util.tree_map(assert_same_bits, model(table, inside), tuple(jax.jit(lookups)(table, inside)))
        outside = index_array(edge_values(dtype, 50), (16,), dtype, rng)
        got, want = model(table, outside), jax.jit(clipped)(table, outside)
        assert_same_bits(got[0], want[0], "x[i] is whatever JAX defines it to be")
        assert_same_bits(got[1], want[1], "promise_in_bounds, sandboxed, clamps like clip")


# --- scatter through JAX -------------------------------------------------------

SCATTER_ROWS = lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,))
COMBINERS = {"add": lax.scatter_add, "mul": lax.scatter_mul, "max": lax.scatter_max, "min": lax.scatter_min, "set": lax.scatter}


def scatters(x, i, u):
    """Every combiner JAX has on the same rows; `set` takes the general path."""
    return tuple(fn(x, i, u, SCATTER_ROWS, mode=DROP) for fn in COMBINERS.values())


def scatter_inputs(rng, element, index, rows: int):
    """An operand with -0.0 and NaN (floats) in its first and last rows, where
    clamped out-of-bounds updates land; small integer-valued data so that
    any order of accumulation gives the same bits. Valid indices are unique
    (set with repeated rows is order-dependent) and spare the first and last
    rows, so those change only if a dropped update wrongly lands there."""
    x = rng.integers(-4, 5, (rows, 3)).astype(element)
    u = rng.integers(-4, 5, (48, 3)).astype(element)
    if np.dtype(element).kind == "f":
        x[0], x[-1] = -0.0, [np.nan, -0.0, 1.5]
    inside = rng.permutation(np.arange(1, min(rows - 1, np.iinfo(index).max)))[:24].astype(index)
    outside = [v for v in edge_values(index, rows) if not 0 <= v < rows]
    outside = index_array(outside, (24,), index, rng)
    return x, u, rng.permutation(np.concatenate([inside, outside])).reshape(48, 1)


def check_scatters(model, x, i, u, what):
    got, want = model(x, i, u), jax.jit(scatters)(x, i, u)
    for name, g, w in zip(COMBINERS, got, want):
        assert_same_bits(g, w, f"{name}, {what}")


@pytest.mark.parametrize(
    "element, index",
    [(np.float32, d) for d in INDEX_DTYPES] + [(np.int32, np.int32), (np.uint8, np.int16), (np.float16, np.int32)],
    ids=lambda d: np.dtype(d).name,
)
def test_scatter(element, index):
    """200 rows: the general path's redirect target (200) needs i8 indices widened."""
    rng = np.random.default_rng(4)
    with x64(element, index):
        x = rng.integers(-4, 5, (200, 3)).astype(element)
        model = webtensor.compile(scatters, x, np.zeros((48, 1), index), np.zeros((48, 3), element))
        # In bounds: unique rows, the first and last included.
        u = rng.integers(-4, 5, (48, 3)).astype(element)
        top = min(199, np.iinfo(index).max)
        inside = np.concatenate([[0, top], rng.permutation(np.arange(1, top))[:46]]).astype(index).reshape(48, 1)
        check_scatters(model, x, inside, u, "in bounds")
        for _ in range(2):
            x, u, i = scatter_inputs(rng, element, index, 200)
            check_scatters(model, x, i, u, "out of bounds")


BATCHED_SCATTER = lax.ScatterDimensionNumbers(
    update_window_dims=(2,), inserted_window_dims=(1,), scatter_dims_to_operand_dims=(1,),
    operand_batching_dims=(0,), scatter_indices_batching_dims=(0,),
)


@pytest.mark.parametrize("dtype", [np.int8, np.int32])
def test_scatter_with_batching_dims(dtype):
    def f(x, i, u):
        return (
            lax.scatter_add(x, i, u, BATCHED_SCATTER, mode=DROP),
            lax.scatter(x, i, u, BATCHED_SCATTER, mode=DROP),
        )

    rng = np.random.default_rng(5)
    x = rng.integers(-4, 5, (3, 10, 4)).astype(np.float32)
    u = rng.integers(-4, 5, (3, 5, 4)).astype(np.float32)
    model = webtensor.compile(f, x, np.zeros((3, 5, 1), dtype), u)
    inside = np.stack([rng.permutation(10)[:5] for _ in range(3)]).astype(dtype)[..., None]
    jax.tree_util.tree_map(assert_same_bits, model(x, inside, u), tuple(jax.jit(f)(x, inside, u)))
    outside = index_array(edge_values(dtype, 10) + [1, 2, 3], (3, 5, 1), dtype, rng)
    jax.tree_util.tree_map(assert_same_bits, model(x, outside, u), tuple(jax.jit(f)(x, outside, u)))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_numpy_style_updates(dtype):
    """x.at[i].op(v, mode="drop") as models write it, plus apply (a computation
    that is no single combiner) and complex add (no fast path)."""

    def f(x, c, i, v, w):
        return (
            x.at[i].add(v, mode="drop"),
            x.at[i].set(v, mode="drop"),
            x.at[i].mul(v, mode="drop"),
            x.at[i].max(v, mode="drop"),
            x.at[i].min(v, mode="drop"),
            x.at[i].apply(lambda e: e * 2 + 1, mode="drop"),
            c.at[i].add(w, mode="drop"),
        )

    rng = np.random.default_rng(6)
    with x64(dtype):
        x = rng.integers(-4, 5, (40, 3)).astype(np.float32)
        c = (rng.integers(-4, 5, (40, 3)) + 1j * rng.integers(-4, 5, (40, 3))).astype(np.complex64)
        v = rng.integers(-4, 5, (16, 3)).astype(np.float32)
        w = (rng.integers(-4, 5, (16, 3)) - 1j * rng.integers(-4, 5, (16, 3))).astype(np.complex64)
        model = webtensor.compile(f, x, c, np.zeros(16, dtype), v, w)
        # Unique rows, some counted from the end (-1 is row 39).
        inside = rng.permutation(40)[:16] - 40 * rng.integers(0, 2, 16)
        for i in (inside.astype(dtype), index_array(edge_values(dtype, 40), (16,), dtype, rng)):
            jax.tree_util.tree_map(assert_same_bits, model(x, c, i, v, w), tuple(jax.jit(f)(x, c, i, v, w)))


WINDOW_ON_INDEXED_DIM = lax.ScatterDimensionNumbers(
    update_window_dims=(1,), inserted_window_dims=(), scatter_dims_to_operand_dims=(0,)
)
INSERTED_AFTER_WINDOW = lax.ScatterDimensionNumbers(
    update_window_dims=(0,), inserted_window_dims=(1, 2), scatter_dims_to_operand_dims=(1, 2)
)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_scatter_forms_iree_rejects(dtype):
    """Valid scatters IREE 3.13's lowering rejects (issue 12): 3-wide windows
    along the indexed dim, partly out of bounds at starts 6, -1 and 1e8, and
    inserted dims after a window dim. The sandbox rewrites them into forms it
    takes, with JAX's mode="drop" results."""

    def f(x, i, u, y, j, w):
        return (
            lax.scatter(x, i, u, WINDOW_ON_INDEXED_DIM, mode=DROP),
            lax.scatter_add(x, i, u, WINDOW_ON_INDEXED_DIM, mode=DROP),
            lax.scatter_add(y, j, w, INSERTED_AFTER_WINDOW, mode=DROP),
        )

    rng = np.random.default_rng(12)
    with x64(dtype):
        x = rng.integers(-4, 5, 8).astype(np.float32)
        u = rng.integers(-4, 5, (3, 3)).astype(np.float32)
        y = rng.integers(-4, 5, (4, 2, 3)).astype(np.float32)
        w = rng.integers(-4, 5, 4).astype(np.float32)
        model = webtensor.compile(f, x, np.zeros((3, 1), dtype), u, y, np.zeros(2, dtype), w)
        for starts, j in (([[0], [5], [2]], [1, 2]), ([[6], [-1], [100_000_000]], [0, 3]), ([[4], [6], [-1]], [-1, 0])):
            args = (x, np.array(starts, dtype), u, y, np.array(j, dtype), w)
            jax.tree_util.tree_map(assert_same_bits, model(*args), tuple(jax.jit(f)(*args)))


# --- dynamic_slice and dynamic_update_slice -----------------------------------

def slices(x, u, i, j):
    return lax.dynamic_slice(x, (i, j), (2, 3)), lax.dynamic_update_slice(x, u, (i, j))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.uint32, np.int64, np.uint64], ids=lambda d: np.dtype(d).name)
def test_dynamic_slice(dtype):
    """A 200x6 operand: 198 is beyond i8's range, so the bound saturates."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((200, 6)).astype(np.float32)
    u = rng.standard_normal((2, 3)).astype(np.float32)
    with x64(dtype):
        model = webtensor.compile(slices, x, u, dtype(0), dtype(0))
        pairs = [(int(a), int(b)) for a, b in zip(in_bounds(rng, 198, 6, dtype), in_bounds(rng, 3, 6, dtype))]
        rows, cols = edge_values(dtype, 200, 2), edge_values(dtype, 6, 3)
        pairs += [(a, cols[k]) for a, k in zip(rows, rng.integers(0, len(cols), len(rows)))]
        for i, j in pairs:
            i, j = np.array(i, dtype), np.array(j, dtype)
            got, want = model(x, u, i, j), jax.jit(slices)(x, u, i, j)
            jax.tree_util.tree_map(lambda g, w: assert_same_bits(g, w, f"start ({i}, {j})"), got, tuple(want))


# --- StableHLO forms JAX does not emit, against the spec in numpy -----------

TEXT = """
func.func @gather_implicit_vector(%x: tensor<10x3xf32>, %i: tensor<24xi16>) -> tensor<24x3xf32> {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, slice_sizes = array<i64: 1, 3>} : (tensor<10x3xf32>, tensor<24xi16>) -> tensor<24x3xf32>
  return %0 : tensor<24x3xf32>
}
func.func @gather_vector_first(%x: tensor<10x6xf32>, %i: tensor<2x24xui64>) -> tensor<24x2x3xf32> {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<offset_dims = [1, 2], start_index_map = [1, 0], index_vector_dim = 0>, slice_sizes = array<i64: 2, 3>} : (tensor<10x6xf32>, tensor<2x24xui64>) -> tensor<24x2x3xf32>
  return %0 : tensor<24x2x3xf32>
}
func.func @scatter_implicit_vector(%x: tensor<10x3xi32>, %i: tensor<24xi16>, %u: tensor<24x3xi32>) -> tensor<10x3xi32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %s = stablehlo.add %b, %a : tensor<i32>
    stablehlo.return %s : tensor<i32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, unique_indices = true, indices_are_sorted = true} : (tensor<10x3xi32>, tensor<24xi16>, tensor<24x3xi32>) -> tensor<10x3xi32>
  return %0 : tensor<10x3xi32>
}
func.func @scatter_replace_vector_first(%x: tensor<10x6xf32>, %i: tensor<2x24xi32>, %u: tensor<24xf32>) -> tensor<10x6xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %b : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [0, 1], scatter_dims_to_operand_dims = [1, 0], index_vector_dim = 0>} : (tensor<10x6xf32>, tensor<2x24xi32>, tensor<24xf32>) -> tensor<10x6xf32>
  return %0 : tensor<10x6xf32>
}
func.func @scatter_or(%x: tensor<10x3xi1>, %i: tensor<24x1xui8>, %u: tensor<24x3xi1>) -> tensor<10x3xi1> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<i1>, %b: tensor<i1>):
    %s = stablehlo.or %a, %b : tensor<i1>
    stablehlo.return %s : tensor<i1>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xi1>, tensor<24x1xui8>, tensor<24x3xi1>) -> tensor<10x3xi1>
  return %0 : tensor<10x3xi1>
}
func.func @scatter_and(%x: tensor<10x3xui8>, %i: tensor<24x1xi8>, %u: tensor<24x3xui8>) -> tensor<10x3xui8> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<ui8>, %b: tensor<ui8>):
    %s = stablehlo.and %a, %b : tensor<ui8>
    stablehlo.return %s : tensor<ui8>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xui8>, tensor<24x1xi8>, tensor<24x3xui8>) -> tensor<10x3xui8>
  return %0 : tensor<10x3xui8>
}
func.func @scatter_xor(%x: tensor<10x3xi64>, %i: tensor<24x1xi32>, %u: tensor<24x3xi64>) -> tensor<10x3xi64> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<i64>, %b: tensor<i64>):
    %s = stablehlo.xor %a, %b : tensor<i64>
    stablehlo.return %s : tensor<i64>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xi64>, tensor<24x1xi32>, tensor<24x3xi64>) -> tensor<10x3xi64>
  return %0 : tensor<10x3xi64>
}
"""

ROWS_SCATTER = dict(update_window_dims=(1,), inserted=(0,), scatter_dims_to_operand_dims=(0,))


@pytest.fixture(scope="module")
def text_model():
    return webtensor.compile(TEXT)


def _text_indices(rng, dtype, shape, size, window=1):
    """Half random valid starts, half edge values, in `shape`."""
    count = int(np.prod(shape))
    inside = in_bounds(rng, size - window, count // 2, dtype)
    outside = index_array(edge_values(dtype, size, window), (count - count // 2,), dtype, rng)
    return rng.permutation(np.concatenate([inside, outside])).reshape(shape)


@pytest.mark.parametrize("seed", [8, 9])
def test_gather_forms_from_text(text_model, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((10, 3)).astype(np.float32)
    i = _text_indices(rng, np.int16, (24,), 10)
    want = gather_reference(x, i, offset_dims=(1,), collapsed=(0,), start_index_map=(0,), index_vector_dim=1, slice_sizes=(1, 3))
    assert_same_bits(text_model.gather_implicit_vector(x, i), want)

    x = rng.standard_normal((10, 6)).astype(np.float32)
    i = np.stack([_text_indices(rng, np.uint64, (24,), 6, 3), _text_indices(rng, np.uint64, (24,), 10, 2)])
    want = gather_reference(x, i, offset_dims=(1, 2), start_index_map=(1, 0), index_vector_dim=0, slice_sizes=(2, 3))
    assert_same_bits(text_model.gather_vector_first(x, i), want)


@pytest.mark.parametrize("seed", [10, 11])
def test_scatter_forms_from_text(text_model, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-100, 100, (10, 3)).astype(np.int32)
    u = rng.integers(-100, 100, (24, 3)).astype(np.int32)
    i = _text_indices(rng, np.int16, (24,), 10)
    want = scatter_reference([x], i, [u], lambda a, b: [a + b], index_vector_dim=1, **ROWS_SCATTER)
    assert_same_bits(text_model.scatter_implicit_vector(x, i, u), want[0])

    # The general path with two components: unique valid (column, row) pairs,
    # and pairs with at least one component out of bounds.
    x = rng.standard_normal((10, 6)).astype(np.float32)
    u = rng.standard_normal(24).astype(np.float32)
    cells = rng.permutation(60)[:12]
    inside = np.stack([cells % 6, cells // 6])
    bad_columns = [v for v in edge_values(np.int32, 6) if not 0 <= v < 6]
    bad_rows = [v for v in edge_values(np.int32, 10) if not 0 <= v < 10]
    outside = np.stack([rng.integers(0, 6, 12), rng.integers(0, 10, 12)])
    outside[0, :6] = index_array(bad_columns, (6,), np.int32, rng)
    outside[1, 4:] = index_array(bad_rows, (8,), np.int32, rng)
    i = rng.permutation(np.concatenate([inside, outside], axis=1).astype(np.int32), axis=1)
    want = scatter_reference([x], i, [u], lambda a, b: [b], inserted=(0, 1), scatter_dims_to_operand_dims=(1, 0), index_vector_dim=0)
    assert_same_bits(text_model.scatter_replace_vector_first(x, i, u), want[0], "replace, vector first")

    for name, dtype, index, combine in [
        ("scatter_or", np.bool_, np.uint8, lambda a, b: [a | b]),
        ("scatter_and", np.uint8, np.int8, lambda a, b: [a & b]),
        ("scatter_xor", np.int64, np.int32, lambda a, b: [a ^ b]),
    ]:
        high = 2 if dtype is np.bool_ else 256
        x = rng.integers(0, high, (10, 3)).astype(dtype)
        u = rng.integers(0, high, (24, 3)).astype(dtype)
        i = _text_indices(rng, index, (24, 1), 10)
        want = scatter_reference([x], i, [u], combine, index_vector_dim=1, **ROWS_SCATTER)
        assert_same_bits(text_model[name](x, i, u), want[0], name)


def test_references_agree_with_jax():
    """The numpy references compute what JAX does, on a form both can run."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((10, 6)).astype(np.float32)
    i = _text_indices(rng, np.int32, (12, 2), 6, 3)
    want = jax.jit(lambda x, i: lax.gather(x, i, WINDOWS, slice_sizes=(2, 3), mode=CLIP))(x, i)
    got = gather_reference(x, i, offset_dims=(1, 2), start_index_map=(0, 1), index_vector_dim=1, slice_sizes=(2, 3))
    assert_same_bits(got, want)
    u = rng.integers(-4, 5, (12, 2, 3)).astype(np.float32)
    dims = lax.ScatterDimensionNumbers(update_window_dims=(1, 2), inserted_window_dims=(), scatter_dims_to_operand_dims=(0, 1))
    want = jax.jit(lambda x, i, u: lax.scatter_add(x, i, u, dims, mode=DROP))(x, i, u)
    got = scatter_reference([x], i, [u], lambda a, b: [a + b], update_window_dims=(1, 2), scatter_dims_to_operand_dims=(0, 1), index_vector_dim=1)
    assert_same_bits(got[0], want)
