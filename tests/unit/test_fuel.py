"""The per-call iteration budget ("fuel"): every loop of a call spends from
one budget; running out ends the call with BudgetExceeded and no outputs."""

import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import webtensor


def _counting_loop(n):
    # n iterations of a loop whose trip count is data.
    return jax.lax.fori_loop(0, n, lambda i, acc: acc + i, jnp.int32(0))


@pytest.fixture(scope="module")
def counting():
    return webtensor.compile(_counting_loop, np.int32(0))


def test_budget_is_exact(counting):
    assert counting.signature.fuel
    assert counting(np.int32(100), fuel=100) == sum(range(100))
    with pytest.raises(webtensor.BudgetExceeded, match="ran out of its iteration budget of 99 loop iterations"):
        counting(np.int32(100), fuel=99)


def test_the_model_keeps_working_after_running_out(counting):
    with pytest.raises(webtensor.BudgetExceeded):
        counting(np.int32(10), fuel=3)
    assert counting(np.int32(10)) == 45


def test_budget_exceeded_is_a_timeout():
    assert issubclass(webtensor.BudgetExceeded, webtensor.Timeout)
    assert issubclass(webtensor.BudgetExceeded, TimeoutError)
    assert webtensor.BudgetExceeded.code == "timeout"


def test_an_infinite_loop_ends_promptly():
    def forever(x):
        return jax.lax.while_loop(lambda c: c[0] >= 0, lambda c: (c[0] + 1, c[1] * 1.0001), (0, x))[1]

    model = webtensor.compile(forever, np.ones(4, np.float32))
    start = time.perf_counter()
    with pytest.raises(webtensor.BudgetExceeded):
        model(np.ones(4, np.float32), fuel=20_000)
    assert time.perf_counter() - start < 60  # generous: a loop iteration costs microseconds


def test_nested_loops_share_one_budget():
    def triangle(n):
        def outer(i, total):
            return jax.lax.fori_loop(0, i, lambda j, t: t + 1, total)

        return jax.lax.fori_loop(0, n, outer, jnp.int32(0))

    model = webtensor.compile(triangle, np.int32(0))
    n = 10
    iterations = n + n * (n - 1) // 2  # outer iterations plus all inner ones
    assert model(np.int32(n), fuel=iterations) == n * (n - 1) // 2
    with pytest.raises(webtensor.BudgetExceeded):
        model(np.int32(n), fuel=iterations - 1)


def test_loops_in_branches_spend_too():
    def maybe_loop(p, n):
        return jax.lax.cond(p, lambda: _counting_loop(n), lambda: jnp.int32(-1))

    model = webtensor.compile(maybe_loop, np.bool_(True), np.int32(0))
    assert model(np.bool_(False), np.int32(1000), fuel=0) == -1
    assert model(np.bool_(True), np.int32(5), fuel=5) == 10
    with pytest.raises(webtensor.BudgetExceeded):
        model(np.bool_(True), np.int32(5), fuel=4)


def test_default_budget_per_model(tmp_path, counting):
    path = tmp_path / "loop.vmfb"
    counting.save(path)
    small = webtensor.load(path, fuel=10)
    assert small(np.int32(10)) == 45
    with pytest.raises(webtensor.BudgetExceeded, match="budget of 10 "):
        small(np.int32(11))
    assert small(np.int32(11), fuel=11) == 55


@pytest.mark.parametrize("fuel", [-1, 1.5, True, "10", 1 << 63])
def test_bad_budgets_are_rejected(counting, fuel):
    with pytest.raises(webtensor.InvalidArgument, match="fuel must be an integer from 0 to"):
        counting(np.int32(1), fuel=fuel)


def test_functions_without_loops_take_no_fuel():
    model = webtensor.compile(lambda x: x + 1, np.int32(0))
    assert not model.signature.fuel
    assert model(np.int32(1), fuel=0) == 2
    with pytest.raises(webtensor.InvalidArgument, match="fuel must be an integer from 0 to"):
        model(np.int32(1), fuel=-5)


def test_a_scan_is_charged_its_length():
    def cumulative(x):
        return jax.lax.scan(lambda c, v: (c + v, c + v), jnp.float32(0), x)[1]

    x = np.random.default_rng(0).standard_normal(50).astype(np.float32)
    model = webtensor.compile(cumulative, x)
    np.testing.assert_allclose(model(x, fuel=50), np.cumsum(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(webtensor.BudgetExceeded):
        model(x, fuel=49)


def test_counted_loops_past_the_allowance_are_guarded():
    # Twenty scans of 20,000 steps: the first five (100,000 iterations) run
    # unguarded; every later one runs only if the budget covers it, so a call
    # with a small budget stops after at most 100,000 iterations.
    def many_scans(x):
        for _ in range(20):
            x = jax.lax.scan(lambda c, _: (c * 1.0000001, None), x, None, length=20_000)[0]
        return x

    sandboxed = webtensor.compile_ir(many_scans, np.float32(1), phase="sandboxed")
    assert sandboxed.count("stablehlo.while") == 20
    assert sandboxed.count('"stablehlo.if"') == 15
    model = webtensor.compile(many_scans, np.float32(1))
    with pytest.raises(webtensor.BudgetExceeded):
        model(np.float32(1), fuel=10)
    assert model(np.float32(1), fuel=400_000) > 1
