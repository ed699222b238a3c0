"""The per-call work budget ("fuel"): the compiler prices every op
(dialects/cost.py); a call pays for its loop-free work up front and for each
loop iteration as it runs; running out ends the call with BudgetExceeded and
no outputs."""

import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import webtensor
from webtensor.dialects import cost
from webtensor.passes.sandbox_fuel import UNGUARDED_UNITS
from webtensor.bench.models import budget_for


def _counting_loop(n):
    # n iterations of a loop whose trip count is data.
    return jax.lax.fori_loop(0, n, lambda i, acc: acc + i, jnp.int32(0))




@pytest.fixture(scope="module")
def counting():
    return webtensor.compile(_counting_loop, np.int32(0))


def test_budget_is_exact(counting):
    assert counting.signature.fuel
    exact = budget_for(counting, 100)
    assert counting(np.int32(100), fuel=exact) == sum(range(100))
    with pytest.raises(webtensor.BudgetExceeded, match=f"ran out of its budget of {exact - 1} work units"):
        counting(np.int32(100), fuel=exact - 1)


def test_an_iteration_costs_at_least_the_fixed_charge(counting):
    (per_iteration,) = counting.signature.loop_costs
    assert per_iteration >= cost.ITERATION_UNITS


def test_an_iteration_pays_for_its_body():
    # A 512^3 matmul per iteration: the charge counts its multiply-adds, so
    # the default budget allows a few hundred iterations, not a million.
    def matmuls(n, x):
        return jax.lax.fori_loop(0, n, lambda i, y: y @ x, x)

    x = np.eye(512, dtype=np.float32)
    model = webtensor.compile(matmuls, np.int32(0), x)
    (per_iteration,) = model.signature.loop_costs
    assert per_iteration >= 512**3
    assert webtensor.device_limits().default_fuel // per_iteration < 1000
    np.testing.assert_array_equal(model(np.int32(3), x, fuel=budget_for(model, 3)), x)
    with pytest.raises(webtensor.BudgetExceeded):
        model(np.int32(4), x, fuel=budget_for(model, 3))


def test_the_model_keeps_working_after_running_out(counting):
    with pytest.raises(webtensor.BudgetExceeded):
        counting(np.int32(10), fuel=budget_for(counting, 3))
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
        model(np.ones(4, np.float32), fuel=budget_for(model, 20_000))
    assert time.perf_counter() - start < 60  # generous: a loop iteration costs microseconds


def test_loop_free_work_pays_up_front():
    # Six chained 2048^3 matmuls: 5e10 multiply-adds, charged before anything
    # runs, so a budget below that refuses the call at once.
    def chain(a):
        for _ in range(6):
            a = a @ a
        return a

    a = np.zeros((2048, 2048), np.float32)
    model = webtensor.compile(chain, a)
    signature = model.signature
    assert not signature.fuel and signature.loop_costs == ()
    assert signature.cost >= 6 * 2048**3
    with pytest.raises(webtensor.BudgetExceeded, match=f"costs {signature.cost} work units before any loop runs, above its budget of {signature.cost - 1}; nothing ran"):
        model(a, fuel=signature.cost - 1)


def test_nested_loops_share_one_budget():
    def triangle(n):
        def outer(i, total):
            return jax.lax.fori_loop(0, i, lambda j, t: t + 1, total)

        return jax.lax.fori_loop(0, n, outer, jnp.int32(0))

    model = webtensor.compile(triangle, np.int32(0))
    n = 10
    exact = budget_for(model, n, n * (n - 1) // 2)  # outer iterations, all inner ones
    assert model(np.int32(n), fuel=exact) == n * (n - 1) // 2
    with pytest.raises(webtensor.BudgetExceeded):
        model(np.int32(n), fuel=exact - 1)


def test_loops_in_branches_spend_too():
    def maybe_loop(p, n):
        return jax.lax.cond(p, lambda: _counting_loop(n), lambda: jnp.int32(-1))

    model = webtensor.compile(maybe_loop, np.bool_(True), np.int32(0))
    assert model(np.bool_(False), np.int32(1000), fuel=budget_for(model, 0)) == -1
    assert model(np.bool_(True), np.int32(5), fuel=budget_for(model, 5)) == 10
    with pytest.raises(webtensor.BudgetExceeded):
        model(np.bool_(True), np.int32(5), fuel=budget_for(model, 5) - 1)


def test_default_budget_per_model(tmp_path, counting):
    path = tmp_path / "loop.vmfb"
    counting.save(path)
    ten = budget_for(counting, 10)
    small = webtensor.load(path, fuel=ten)
    assert small(np.int32(10)) == 45
    with pytest.raises(webtensor.BudgetExceeded, match=f"budget of {ten} "):
        small(np.int32(11))
    assert small(np.int32(11), fuel=budget_for(counting, 11)) == 55


@pytest.mark.parametrize("fuel", [-1, 1.5, True, "10", 1 << 63])
def test_bad_budgets_are_rejected(counting, fuel):
    with pytest.raises(webtensor.InvalidArgument, match="fuel must be an integer from 0 to"):
        counting(np.int32(1), fuel=fuel)


def test_functions_without_loops_are_charged_up_front():
    model = webtensor.compile(lambda x: x + 1, np.int32(0))
    signature = model.signature
    assert not signature.fuel and signature.cost > 0
    assert model(np.int32(1), fuel=signature.cost) == 2
    with pytest.raises(webtensor.BudgetExceeded, match="nothing ran"):
        model(np.int32(1), fuel=signature.cost - 1)
    with pytest.raises(webtensor.InvalidArgument, match="fuel must be an integer from 0 to"):
        model(np.int32(1), fuel=-5)


def test_a_scan_is_paid_up_front():
    # A counted loop in the function's body always runs all of it: its
    # price is part of the up-front cost, and the function takes no budget.
    def cumulative(x):
        return jax.lax.scan(lambda c, v: (c + v, c + v), jnp.float32(0), x)[1]

    x = np.random.default_rng(0).standard_normal(50).astype(np.float32)
    model = webtensor.compile(cumulative, x)
    signature = model.signature
    assert not signature.fuel and signature.loop_costs == ()
    assert signature.cost > 50 * cost.ITERATION_UNITS
    np.testing.assert_allclose(model(x, fuel=signature.cost), np.cumsum(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(webtensor.BudgetExceeded, match="nothing ran"):
        model(x, fuel=signature.cost - 1)


def test_a_scan_in_a_branch_is_charged_when_it_runs():
    def maybe_cumulative(p, x):
        return jax.lax.cond(p, lambda x: jax.lax.scan(lambda c, v: (c + v, c + v), jnp.float32(0), x)[1], lambda x: x, x)

    x = np.random.default_rng(1).standard_normal(50).astype(np.float32)
    model = webtensor.compile(maybe_cumulative, np.bool_(True), x)
    np.testing.assert_allclose(model(np.bool_(True), x, fuel=budget_for(model, 50)), np.cumsum(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(webtensor.BudgetExceeded):
        model(np.bool_(True), x, fuel=budget_for(model, 50) - 1)
    np.testing.assert_array_equal(model(np.bool_(False), x, fuel=budget_for(model, 0)), x)


def test_counted_loops_past_the_allowance_are_guarded():
    # Twenty scans of 200 steps in a branch: those that fit UNGUARDED_UNITS
    # together run unguarded; every later one runs only if the budget covers
    # it, so a call with a small budget stops after at most UNGUARDED_UNITS
    # of work.
    def many_scans(p, x):
        def scans(x):
            for _ in range(20):
                x = jax.lax.scan(lambda c, _: (c * 1.0000001, None), x, None, length=200)[0]
            return x

        return jax.lax.cond(p, scans, lambda x: x, x)

    args = (np.bool_(True), np.float32(1))
    model = webtensor.compile(many_scans, *args)
    charges = [200 * c for c in model.signature.loop_costs]
    assert len(charges) == 20
    unguarded = 0
    while unguarded < len(charges) and sum(charges[: unguarded + 1]) <= UNGUARDED_UNITS:
        unguarded += 1
    assert 0 < unguarded < 20
    sandboxed = webtensor.compile_ir(many_scans, *args, phase="sandboxed")
    assert sandboxed.count("stablehlo.while") == 20
    assert sandboxed.count('"stablehlo.if"') == 20 - unguarded  # a guard per guarded loop (the branch is a case)
    with pytest.raises(webtensor.BudgetExceeded):
        model(*args, fuel=10)
    assert model(*args, fuel=budget_for(model, *[200] * 20)) > 1


def test_the_price_is_in_the_sandboxed_program():
    text = webtensor.compile_ir(lambda x: jnp.exp(x), np.zeros(1024, np.float32), phase="sandboxed")
    expected = cost.OP_UNITS + cost.ELEMENT_UNITS * 8 * 1024  # exp weighs 8 element operations
    assert f"webtensor.cost = {expected} : i64" in text
