"""pad, sort, reduce_window and select_and_scatter end to end: what the
sandbox fixes (webtensor-sandbox-pad, -sort, -select-and-scatter) and what
IREE 3.13 already gets right, against jax.jit or the spec.

Cases that once crashed the compiler or exhausted memory run in a
subprocess with a timeout.
"""

import json
import re
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import webtensor
from webtensor.tests.spec import reduce_window_size, reduce_window_spec


@pytest.fixture
def rng():
    return np.random.default_rng()


def run_isolated(code: str, timeout: int = 300) -> dict:
    """Runs `code` in a fresh Python; it prints one JSON object."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr[-3000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- pad --------------------------------------------------------------------------

def random_pad_config(rng, n: int) -> tuple[int, int, int]:
    """(low, high, interior) for a dimension of n, negative edges included,
    with a result of at least 0 elements."""
    interior = int(rng.integers(0, 3))
    full = n + max(n - 1, 0) * interior
    while True:
        low, high = (int(v) for v in rng.integers(-full - 2, 4, 2))
        if low + high + full >= 0:
            return low, high, interior


def pad_module(shape, configs) -> str:
    x_type = f"tensor<{'x'.join(map(str, shape))}xf32>"
    results, body = [], []
    for i, config in enumerate(configs):
        sizes = [lo + hi + n + max(n - 1, 0) * it for n, (lo, hi, it) in zip(shape, config)]
        t = f"tensor<{'x'.join(map(str, sizes))}xf32>"
        low, high, interior = ([c[k] for c in config] for k in range(3))
        body.append(f"  %r{i} = stablehlo.pad %x, %v, low = {low}, high = {high}, interior = {interior} : ({x_type}, tensor<f32>) -> {t}")
        results.append(t)
    names = ", ".join(f"%r{i}" for i in range(len(configs)))
    return (
        f"func.func @main(%x: {x_type}, %v: tensor<f32>) -> ({', '.join(results)}) {{\n"
        + "\n".join(body)
        + f"\n  return {names} : {', '.join(results)}\n}}\n"
    )


def test_pad_matches_jax(rng):
    shape = (5, 4)
    configs = [[random_pad_config(rng, n) for n in shape] for _ in range(12)]
    configs.append([(-3, -2, 1), (-9, 7, 0)])  # one dimension shows nothing
    x = rng.standard_normal(shape).astype(np.float32)
    value = np.float32(rng.standard_normal())
    results = webtensor.compile(pad_module(shape, configs))(x, value)
    for config, got in zip(configs, results):
        want = jax.jit(lambda a, v, c=config: lax.pad(a, v, c))(x, value)
        np.testing.assert_array_equal(got, want, err_msg=str(config))


def test_the_sandboxed_pad_never_pads_negatively():
    text = pad_module((5, 4), [[(-3, -2, 1), (2, -3, 0)], [(0, -1, 0), (0, 0, 2)]])
    ir = webtensor.compile_ir(text, phase="sandboxed")
    edges = re.findall(r"(?:low|high) = \[([^\]]*)\]", ir)
    assert len(edges) == 4 and "-" not in "".join(edges)
    assert "low = [1, 2], high = [0, 0], interior = [1, 0]" in ir


def test_huge_negative_padding_allocates_nothing_beyond_the_result():
    """IREE alone allocates |low| + |high| elements per dimension: 16 GiB for
    this 1-D case, far more in 2-D. Sandboxed, it is a broadcast."""
    out = run_isolated(
        """
        import json, numpy as np, webtensor
        big = 2**31 - 8
        text = f'''func.func @main(%x: tensor<3x3xf32>, %v: tensor<f32>) -> tensor<3x5xf32> {{
          %0 = stablehlo.pad %x, %v, low = [{big}, -{big}], high = [-{big}, {big + 2}], interior = [0, 0]
            : (tensor<3x3xf32>, tensor<f32>) -> tensor<3x5xf32>
          return %0 : tensor<3x5xf32>
        }}'''
        y = webtensor.compile(text)(np.ones((3, 3), np.float32), np.float32(-7))
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so it
        # would report the (large) pytest process that started this one.
        status = open("/proc/self/status").read()
        rss = int(status.split("VmHWM:")[1].split()[0]) // 1024
        print(json.dumps({"y": y.tolist(), "rss_mb": rss}))
        """
    )
    assert out["y"] == [[-7.0] * 5] * 3
    assert out["rss_mb"] < 2048


# --- sort ---------------------------------------------------------------------

def test_stable_sorts_match_jax(rng):
    """IREE 3.13 ignores is_stable; ties must keep their input order."""

    def f(keys, payload, x):
        by_key = lax.sort((keys, payload), num_keys=1, is_stable=True)
        return by_key[0], by_key[1], jnp.argsort(keys), jnp.sort(x), jnp.argsort(x)

    def draw():
        keys = rng.integers(0, 4, (3, 50)).astype(np.int32)  # many ties
        payload = rng.standard_normal((3, 50)).astype(np.float32)
        x = rng.choice(np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -2.5], np.float32), (3, 50))
        return keys, payload, x

    model = webtensor.compile(f, *draw())
    for _ in range(2):
        args = draw()
        for got, want in zip(model(*args), jax.jit(f)(*args)):
            np.testing.assert_array_equal(got, want)


def test_argsort_of_more_than_8192_elements_compiles(rng):
    """Plain IREE 3.13 cannot compile it: it keeps the unused keys result
    (over 32 KiB) on the stack. The sandbox's barrier keeps it in memory."""
    x = rng.integers(0, 100, 10000).astype(np.float32)
    model = webtensor.compile(jnp.argsort, x)
    np.testing.assert_array_equal(model(x), jax.jit(jnp.argsort)(x))


UNSTABLE_SORT = """
func.func @main(%k: tensor<64xi32>, %v: tensor<64xi32>) -> tensor<64xi32> {
  %0:2 = "stablehlo.sort"(%k, %v) ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>, %c: tensor<i32>, %d: tensor<i32>):
    %p = stablehlo.compare LT, %a, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %p : tensor<i1>
  }) {dimension = 0 : i64, is_stable = false} : (tensor<64xi32>, tensor<64xi32>) -> (tensor<64xi32>, tensor<64xi32>)
  return %0#1 : tensor<64xi32>
}
"""


def test_unstable_sorts_get_the_stable_order(rng):
    keys = rng.integers(0, 3, 64).astype(np.int32)
    got = webtensor.compile(UNSTABLE_SORT)(keys, np.arange(64, dtype=np.int32))
    assert got.tolist() == np.argsort(keys, kind="stable").tolist()


def test_a_comparator_that_ignores_its_arguments_returns_the_inputs():
    """Such a sort crashed IREE 3.13's compiler; now it is the identity."""
    out = run_isolated(
        """
        import json, numpy as np, webtensor
        results = {}
        for name, body in {
            "true": "%p = stablehlo.constant dense<true> : tensor<i1>",
            "false": "%p = stablehlo.constant dense<false> : tensor<i1>",
            "sine": "%k = stablehlo.constant dense<0.5> : tensor<f32>\\n %s = stablehlo.sine %k : tensor<f32>\\n"
                    " %p = stablehlo.compare GT, %s, %k, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>",
        }.items():
            text = f'''func.func @main(%x: tensor<6xf32>) -> tensor<6xf32> {{
              %0 = "stablehlo.sort"(%x) ({{
              ^bb0(%a: tensor<f32>, %b: tensor<f32>):
                {body}
                stablehlo.return %p : tensor<i1>
              }}) {{dimension = 0 : i64, is_stable = true}} : (tensor<6xf32>) -> tensor<6xf32>
              return %0 : tensor<6xf32>
            }}'''
            results[name] = webtensor.compile(text)(np.array([3, 1, 2, 0, 5, 4], np.float32)).tolist()
        print(json.dumps(results))
        """
    )
    assert out == {name: [3, 1, 2, 0, 5, 4] for name in ("true", "false", "sine")}


LE_SORT = """
func.func @main(%x: tensor<64xf32>, %v: tensor<64xi32>) -> tensor<64xi32> {
  %0:2 = "stablehlo.sort"(%x, %v) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>, %c: tensor<i32>, %d: tensor<i32>):
    %p = stablehlo.compare LE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %p : tensor<i1>
  }) {dimension = 0 : i64, is_stable = true} : (tensor<64xf32>, tensor<64xi32>) -> (tensor<64xf32>, tensor<64xi32>)
  return %0#1 : tensor<64xi32>
}
"""


def test_a_comparator_that_is_no_strict_weak_order_still_permutes(rng):
    """LE, with NaNs in the data, has no sorted order to agree on; IREE's CPU
    sort returns a permutation of its inputs, the same one every call (other
    targets may return another)."""
    model = webtensor.compile(LE_SORT)
    x = rng.integers(0, 5, 64).astype(np.float32)
    x[rng.integers(0, 64, 10)] = np.nan
    positions = np.arange(64, dtype=np.int32)
    first = model(x, positions)
    assert sorted(first.tolist()) == list(range(64))
    np.testing.assert_array_equal(model(x, positions), first)


# --- reduce_window -----------------------------------------------------------

REDUCE_WINDOW_CASES = [
    # n, window, stride, (low, high), base dilation, window dilation, reducer
    (6, 3, 2, (1, 2), 1, 1, "add"),
    (6, 2, 1, (0, 0), 2, 1, "add"),
    (6, 2, 1, (0, 0), 1, 2, "maximum"),
    (5, 3, 2, (2, 1), 2, 2, "maximum"),
    (5, 3, 1, (-2, 3), 2, 1, "minimum"),
    (4, 6, 1, (5, 5), 1, 1, "maximum"),
    (4, 2, 1, (3, 3), 3, 3, "add"),
]
IDENTITY = {"add": 0.0, "maximum": -np.inf, "minimum": np.inf}
JAX_REDUCER = {"add": lax.add, "maximum": lax.max, "minimum": lax.min}


def reduce_window_module(cases) -> str:
    results, body = [], []
    for i, (n, window, stride, padding, base, dilation, reducer) in enumerate(cases):
        m = reduce_window_size(n, window, stride, padding, base, dilation)
        results.append(f"tensor<{m}xf32>")
        body.append(textwrap.dedent(f"""\
            %r{i} = "stablehlo.reduce_window"(%x{n}, %init{i}) ({{
            ^bb0(%a: tensor<f32>, %b: tensor<f32>):
              %c = stablehlo.{reducer} %a, %b : tensor<f32>
              stablehlo.return %c : tensor<f32>
            }}) {{window_dimensions = array<i64: {window}>, window_strides = array<i64: {stride}>,
                base_dilations = array<i64: {base}>, window_dilations = array<i64: {dilation}>,
                padding = dense<[[{padding[0]}, {padding[1]}]]> : tensor<1x2xi64>}}
              : (tensor<{n}xf32>, tensor<f32>) -> tensor<{m}xf32>"""))
    sizes = sorted({case[0] for case in cases})
    params = [f"%x{n}: tensor<{n}xf32>" for n in sizes] + [f"%init{i}: tensor<f32>" for i in range(len(cases))]
    names = ", ".join(f"%r{i}" for i in range(len(cases)))
    return (
        f"func.func @main({', '.join(params)}) -> ({', '.join(results)}) {{\n"
        + textwrap.indent("\n".join(body), "  ")
        + f"\n  return {names} : {', '.join(results)}\n}}\n"
    )


def reduce_window_inputs(rng, cases, inits):
    sizes = sorted({case[0] for case in cases})
    xs = {n: rng.integers(-9, 10, n).astype(np.float32) for n in sizes}
    return xs, [xs[n] for n in sizes] + [np.float32(v) for v in inits]


def test_reduce_window_padding_and_dilations_match_jax(rng):
    inits = [IDENTITY[case[-1]] for case in REDUCE_WINDOW_CASES]
    xs, args = reduce_window_inputs(rng, REDUCE_WINDOW_CASES, inits)
    results = webtensor.compile(reduce_window_module(REDUCE_WINDOW_CASES))(*args)
    for case, init, got in zip(REDUCE_WINDOW_CASES, inits, results):
        n, window, stride, padding, base, dilation, reducer = case
        want = jax.jit(
            lambda a: lax.reduce_window(a, np.float32(init), JAX_REDUCER[reducer], (window,), (stride,), [padding], (base,), (dilation,))
        )(xs[n])
        np.testing.assert_array_equal(got, want, err_msg=str(case))


def test_reduce_window_with_an_init_that_is_no_identity_follows_the_spec(rng):
    """Padding and dilation holes hold the init value and count, as the spec
    says; XLA on the CPU skips them instead, so the two differ here."""
    inits = [1.25, 1.25, 2.0, 2.0, 3.0, 2.0, 1.25]
    xs, args = reduce_window_inputs(rng, REDUCE_WINDOW_CASES, inits)
    results = webtensor.compile(reduce_window_module(REDUCE_WINDOW_CASES))(*args)
    for case, init, got in zip(REDUCE_WINDOW_CASES, inits, results):
        n, *attributes = case
        assert got.tolist() == reduce_window_spec(xs[n].tolist(), init, *attributes), case


# --- select_and_scatter --------------------------------------------------------

def max_pool_gradient(window, stride, padding):
    def pool(x):
        return lax.reduce_window(x, -jnp.inf, lax.max, window, stride, padding)

    def gradient(x, weights):
        return jax.grad(lambda x: (pool(x) * weights).sum())(x)

    return pool, gradient


MAX_POOLS = [
    # shape, window, stride, padding
    ((7, 9), (2, 2), (2, 2), "VALID"),  # windows that tile
    ((7, 9), (3, 3), (3, 3), "SAME"),  # JAX pads explicitly: tiling too
    ((7, 9), (3, 3), (2, 2), "SAME"),  # overlapping, padded: decomposed
    ((7, 9), (3, 3), (2, 2), "VALID"),
    ((15,), (3,), (2,), "SAME"),
    ((15,), (3,), (1,), "VALID"),
    ((9, 8), (2, 2), (3, 3), "VALID"),  # windows with gaps between them
    ((2, 9, 9, 3), (1, 3, 3, 1), (1, 2, 2, 1), "SAME"),  # ResNet's stem, NHWC
]


@pytest.mark.parametrize("shape, window, stride, padding", MAX_POOLS)
def test_max_pool_gradient_matches_jax(shape, window, stride, padding, rng):
    """Ties (ReLU zeros, small integers) and NaNs pick the element XLA picks.
    Between calls, another model fills freed memory with a sentinel: an
    uninitialized read would show it."""
    pool, gradient = max_pool_gradient(window, stride, padding)
    x = np.zeros(shape, np.float32)
    weights = np.ones(np.asarray(jax.eval_shape(pool, x).shape), np.float32)
    model = webtensor.compile(gradient, x, weights)
    sentinel = webtensor.compile(lambda s: jnp.full((4096,), 1.0, jnp.float32) * s, np.float32(0))
    for _ in range(3):
        x = np.maximum(rng.integers(-2, 3, shape), 0).astype(np.float32)
        x.reshape(-1)[rng.integers(0, x.size, 3)] = np.nan
        weights = rng.integers(1, 5, weights.shape).astype(np.float32)
        sentinel(np.float32(12345.0))
        np.testing.assert_array_equal(model(x, weights), jax.jit(gradient)(x, weights))


def test_overlapping_contributions_add_in_xla_order(rng):
    """Where windows overlap, one position gets several source elements;
    XLA adds them in row-major source order, and so must we, bit for bit:
    weights of very different sizes make any other order round differently."""
    pool, gradient = max_pool_gradient((3, 3), (1, 1), "SAME")
    x = np.zeros((12, 12), np.float32)
    model = webtensor.compile(gradient, x, x)
    for _ in range(3):
        x = np.maximum(rng.integers(-6, 2, (12, 12)), 0).astype(np.float32)  # plateaus of ties
        weights = (rng.standard_normal((12, 12)) * 10.0 ** rng.integers(-7, 8, (12, 12))).astype(np.float32)
        np.testing.assert_array_equal(model(x, weights), jax.jit(gradient)(x, weights))


def select_and_scatter_reference(x, source, init, select, scatter, window, stride, padding):
    """The spec's order, which XLA's sequential emitter and its HLO evaluator
    follow: each window offers its operand elements (never padding) in
    row-major order, keeping the current c over a candidate e when
    select(c, e); source elements reach a position in row-major order."""
    result = np.full_like(x, init)
    for w in np.ndindex(*source.shape):
        chosen = None
        for offset in np.ndindex(*window):
            cell = tuple(k * s + o - low for k, s, o, (low, _) in zip(w, stride, offset, padding))
            if not all(0 <= c < n for c, n in zip(cell, x.shape)):
                continue
            if chosen is None or not select(x[chosen], x[cell]):
                chosen = cell
        if chosen is not None:
            result[chosen] = scatter(result[chosen], source[w])
    return result


def general_select_and_scatter(select, scatter, window, stride, padding):
    """jax's select_and_scatter with any select and scatter functions (an
    internal of jax.lax: its public API only reaches the max-pool case)."""
    from jax._src.lax.windowed_reductions import _select_and_scatter

    def f(x, source, init):
        return _select_and_scatter(x, select, window, stride, padding, source, init, scatter)

    return f


GENERAL_CASES = {
    # name: dtype, select, scatter, window, stride, padding
    "i32-ge-add": (np.int32, lambda a, b: a >= b, lax.add, (3, 2), (2, 1), ((1, 1), (0, 1))),
    "ui8-ge-add": (np.uint8, lambda a, b: a >= b, lax.add, (2, 2), (2, 2), ((0, 0), (0, 0))),  # tiles; wraps
    "ui32-gt-max": (np.uint32, lambda a, b: a > b, lax.max, (3, 3), (2, 2), ((1, 1), (1, 1))),
    "f32-le-subtract": (np.float32, lambda a, b: a <= b, lax.sub, (3, 3), (1, 2), ((2, 0), (1, 1))),
    # windows of padding only (the first and last rows) select nothing
    "f32-ge-padding-only": (np.float32, lambda a, b: a >= b, lax.add, (2, 2), (2, 2), ((3, 2), (0, 0))),
    "i16-lt-multiply": (np.int16, lambda a, b: a < b, lax.mul, (2, 3), (1, 3), ((0, 0), (1, 2))),
}


@pytest.mark.parametrize("name", sorted(GENERAL_CASES))
def test_select_and_scatter_with_any_regions(name, rng):
    """Integer and unsigned elements, other select and scatter regions
    (subtract shows the order of scatter's arguments), windows made of
    padding only. Against jax where the operand has no ties; with ties,
    against the spec's order (see test_asymmetric_padding_offers_elements_row_major
    for where XLA on the CPU differs)."""
    dtype, select, scatter, window, stride, padding = GENERAL_CASES[name]
    f = general_select_and_scatter(select, scatter, window, stride, padding)
    shape = (7, 8)
    pooled = lax.reduce_window(np.zeros(shape, dtype), dtype(0), lax.add, window, stride, padding)
    source = rng.integers(1, 100, pooled.shape).astype(dtype)
    if dtype == np.float32:
        source = (source * 10.0 ** rng.integers(-6, 7, source.shape)).astype(dtype)
    init = dtype(3)
    distinct = rng.permutation(56).reshape(shape).astype(dtype)
    model = webtensor.compile(f, distinct, source, init)
    np.testing.assert_array_equal(model(distinct, source, init), jax.jit(f)(distinct, source, init))
    tied = rng.integers(0, 4, shape).astype(dtype)
    want = select_and_scatter_reference(tied, source, init, select, scatter, window, stride, padding)
    np.testing.assert_array_equal(model(tied, source, init), want)


def test_asymmetric_padding_offers_elements_row_major(rng):
    """SAME pooling of an even size pads one side only (ResNet's 112 -> 56).
    There XLA on the CPU rewrites select_and_scatter into a reduce_window
    that offers a window's elements in another order (for padding (0, 1) of
    the last dimension of a 3x3 window: its first two columns row-major, then
    the third), so ties go elsewhere than in the spec's row-major order,
    which we keep on every target. Without ties the two agree."""
    pool, gradient = max_pool_gradient((3, 3), (2, 2), "SAME")
    x = np.zeros((8, 8), np.float32)
    model = webtensor.compile(gradient, x, np.ones((4, 4), np.float32))
    for _ in range(3):
        x = np.maximum(rng.integers(-3, 3, (8, 8)), 0).astype(np.float32)
        weights = rng.integers(1, 9, (4, 4)).astype(np.float32)
        want = select_and_scatter_reference(x, weights, 0.0, lambda c, e: c >= e, lambda a, b: a + b, (3, 3), (2, 2), ((0, 1), (0, 1)))
        np.testing.assert_array_equal(model(x, weights), want)
        distinct = rng.permutation(64).reshape(8, 8).astype(np.float32)
        np.testing.assert_array_equal(model(distinct, weights), jax.jit(gradient)(distinct, weights))


@pytest.mark.parametrize("name", ["i32-ge-add", "f32-le-subtract"])
def test_decomposed_select_and_scatter_on_vulkan(name, need_device, rng):
    """The decomposition on the vulkan device, against jax (no ties) and the
    spec's order (ties), as on the CPU: ResNet's max-pool gradient and two
    of the general cases (32-bit types: IREE's default Vulkan target has no
    narrower ones, see README "On Vulkan and CUDA")."""
    need_device("vulkan")
    pool, gradient = max_pool_gradient((1, 3, 3, 1), (1, 2, 2, 1), "SAME")
    x = np.maximum(rng.integers(-2, 3, (2, 9, 9, 3)), 0).astype(np.float32)
    x.reshape(-1)[rng.integers(0, x.size, 3)] = np.nan
    weights = rng.integers(1, 5, (2, 5, 5, 3)).astype(np.float32)
    model = webtensor.compile(gradient, x, weights, target="vulkan-spirv")
    np.testing.assert_array_equal(model(x, weights), jax.jit(gradient)(x, weights))
    dtype, select, scatter, window, stride, padding = GENERAL_CASES[name]
    f = general_select_and_scatter(select, scatter, window, stride, padding)
    pooled = lax.reduce_window(np.zeros((7, 8), dtype), dtype(0), lax.add, window, stride, padding)
    source = (rng.integers(1, 100, pooled.shape) * (10.0 ** rng.integers(-6, 7, pooled.shape) if dtype == np.float32 else 1)).astype(dtype)
    distinct = rng.permutation(56).reshape(7, 8).astype(dtype)
    tied = rng.integers(0, 4, (7, 8)).astype(dtype)
    model = webtensor.compile(f, distinct, source, dtype(3), target="vulkan-spirv")
    np.testing.assert_array_equal(model(distinct, source, dtype(3)), jax.jit(f)(distinct, source, dtype(3)))
    want = select_and_scatter_reference(tied, source, dtype(3), select, scatter, window, stride, padding)
    np.testing.assert_array_equal(model(tied, source, dtype(3)), want)


def select_and_scatter_module(select_body: str, n: int, window: int, stride: int) -> str:
    m = (n - window) // stride + 1
    return f"""func.func @main(%x: tensor<{n}xf32>, %s: tensor<{m}xf32>, %i: tensor<f32>) -> tensor<{n}xf32> {{
  %0 = "stablehlo.select_and_scatter"(%x, %s, %i) ({{
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    {select_body}
    stablehlo.return %p : tensor<i1>
  }}, {{
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %r = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %r : tensor<f32>
  }}) {{window_dimensions = array<i64: {window}>, window_strides = array<i64: {stride}>}} : (tensor<{n}xf32>, tensor<{m}xf32>, tensor<f32>) -> tensor<{n}xf32>
  return %0 : tensor<{n}xf32>
}}"""


SELECTS = {
    "lt": ("%p = stablehlo.compare LT, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>", lambda c, e: c < e),
    "ge": ("%p = stablehlo.compare GE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>", lambda c, e: c >= e),
    "never": ("%p = stablehlo.constant dense<false> : tensor<i1>", lambda c, e: False),
    "always": ("%p = stablehlo.constant dense<true> : tensor<i1>", lambda c, e: True),
}


@pytest.mark.parametrize("n, window, stride", [(11, 3, 3), (11, 3, 2), (140, 70, 70)])
@pytest.mark.parametrize("select", sorted(SELECTS))
def test_select_regions_follow_xla(select, n, window, stride, rng):
    """Both ways: the decomposition, and IREE's own lowering (tiling windows
    above the decomposition's limit) with the select region swapped."""
    body, reference = SELECTS[select]
    model = webtensor.compile(select_and_scatter_module(body, n, window, stride))
    x = rng.integers(0, 3, n).astype(np.float32)
    x[rng.integers(0, n, 2)] = np.nan
    source = rng.integers(1, 9, (n - window) // stride + 1).astype(np.float32)
    got = model(x, source, np.float32(0))
    want = select_and_scatter_reference(x, source, 0.0, reference, lambda a, b: a + b, (window,), (stride,), ((0, 0),))
    np.testing.assert_array_equal(got, want)


def test_only_large_tiling_windows_are_left_to_iree():
    """Windows within the limit, tiling or not, become ops IREE lowers well
    (no select_and_scatter is left for it); larger tiling windows keep
    IREE's own lowering."""
    for n, window, stride in ((12, 3, 3), (12, 3, 2)):
        ir = webtensor.compile_ir(select_and_scatter_module(SELECTS["ge"][0], n, window, stride), phase="sandboxed")
        assert "stablehlo.select_and_scatter" not in ir and "stablehlo.map" in ir
    large = webtensor.compile_ir(select_and_scatter_module(SELECTS["ge"][0], 140, 70, 70), phase="sandboxed")
    assert "stablehlo.select_and_scatter" in large and "stablehlo.map" not in large


def test_a_window_above_the_decomposition_limit_is_refused():
    text = select_and_scatter_module(SELECTS["ge"][0], 100, 65, 1)
    with pytest.raises(webtensor.CompileError, match=(
        "select_and_scatter with windows that do not tile the operand takes windows of at most 64 "
        "elements; this one has 65"
    )):
        webtensor.compile(text)
