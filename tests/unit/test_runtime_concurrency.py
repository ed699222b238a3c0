"""One loaded model called from many threads, from futures and from asyncio."""

import asyncio
import concurrent.futures
import os
import threading

import numpy as np
import pytest

import webtensor
from webtensor.runtime.contexts import ContextPool, pool_size

MODEL = """
func.func @main(%a: tensor<4x8xf32>, %w: tensor<8x3xf32>, %c: tensor<3xf32>) -> tensor<4x3xf32> {
  %0 = stablehlo.dot_general %a, %w, contracting_dims = [1] x [0] : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  %1 = stablehlo.broadcast_in_dim %c, dims = [1] : (tensor<3xf32>) -> tensor<4x3xf32>
  %2 = stablehlo.add %0, %1 : tensor<4x3xf32>
  return %2 : tensor<4x3xf32>
}
// `n > i`, not `i < n`: a loop the sandbox does not count, which checks its
// budget every iteration (slow enough to keep the model busy).
func.func @spin(%n: tensor<i64>) -> tensor<i64> {
  %c0 = stablehlo.constant dense<0> : tensor<i64>
  %c1 = stablehlo.constant dense<1> : tensor<i64>
  %r = stablehlo.while(%i = %c0) : tensor<i64>
    cond {
      %p = stablehlo.compare GT, %n, %i : (tensor<i64>, tensor<i64>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %j = stablehlo.add %i, %c1 : tensor<i64>
      stablehlo.return %j : tensor<i64>
    }
  return %r : tensor<i64>
}
"""

# Enough loop iterations to keep the model busy for a good fraction of a second.
BUSY = 5_000


def _iterations(entry, n):
    """The budget for n iterations of the entry point's loop (in work units)."""
    return entry.signature.cost + n * entry.signature.loop_costs[0]


@pytest.fixture(scope="module")
def model():
    return webtensor.compile(MODEL)


def _inputs(rng):
    return (
        rng.standard_normal((4, 8)).astype(np.float32),
        rng.standard_normal((8, 3)).astype(np.float32),
        rng.standard_normal(3).astype(np.float32),
    )


def _expected(a, w, c):
    return a @ w + c


def test_many_threads_one_model(model):
    threads, calls = 8, 50
    start = threading.Barrier(threads)
    failures = []

    def work(seed):
        rng = np.random.default_rng(seed)
        start.wait()
        for i in range(calls):
            a, w, c = _inputs(rng)
            try:
                if i % 5 == 4:
                    got = model(a, w, c, keep_on_device=True).numpy()
                else:
                    got = model(a, w, c)
                np.testing.assert_allclose(got, _expected(a, w, c), rtol=1e-5, atol=1e-5)
            except Exception as e:  # collected and reported by the main thread
                failures.append(f"thread {seed} call {i}: {e!r}")

    pool = [threading.Thread(target=work, args=(seed,)) for seed in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert failures == []


def test_call_async_returns_futures(model):
    rng = np.random.default_rng(5)
    inputs = [_inputs(rng) for _ in range(20)]
    futures = [model.call_async(*args) for args in inputs]
    assert all(isinstance(f, concurrent.futures.Future) for f in futures)
    for future, args in zip(futures, inputs):
        np.testing.assert_allclose(future.result(timeout=60), _expected(*args), rtol=1e-5, atol=1e-5)
    assert model.spin.call_async(np.int64(7)).result(timeout=60) == 7


def test_call_async_takes_its_inputs_at_once(model):
    rng = np.random.default_rng(6)
    a, w, c = _inputs(rng)
    expected = _expected(a, w, c)
    busy = model.spin.call_async(np.int64(BUSY))  # holds the model while the next call waits
    queued = model.call_async(a, w, c)
    a[:] = 0
    np.testing.assert_allclose(queued.result(timeout=60), expected, rtol=1e-5, atol=1e-5)
    assert busy.result(timeout=60) == BUSY


def test_call_async_checks_inputs_before_returning(model):
    with pytest.raises(webtensor.InvalidArgument, match="argument arg2: expected float32.3., got float32.4."):
        model.call_async(np.zeros((4, 8), np.float32), np.zeros((8, 3), np.float32), np.zeros(4, np.float32))
    with pytest.raises(webtensor.InvalidArgument, match="main takes 3 arguments"):
        model.call_async(np.zeros((4, 8), np.float32))
    with pytest.raises(webtensor.InvalidArgument, match="fuel must be an integer"):
        model.spin.call_async(np.int64(1), fuel=-1)
    with pytest.raises(webtensor.InvalidArgument, match="deadline must be a positive number"):
        model.spin.call_async(np.int64(1), deadline=0)


def test_call_failures_come_out_of_the_future(model):
    nine = _iterations(model.spin, 9)
    over_budget = model.spin.call_async(np.int64(10), fuel=nine)
    with pytest.raises(webtensor.BudgetExceeded, match=f"budget of {nine} work units"):
        over_budget.result(timeout=60)
    late = model.spin.call_async(np.int64(1 << 62), fuel=_iterations(model.spin, BUSY), deadline=0.05)
    with pytest.raises(webtensor.Timeout, match="spin did not finish within its deadline of 0.05 s"):
        late.result(timeout=60)
    assert model.spin(np.int64(3)) == 3


def test_acall(model):
    rng = np.random.default_rng(8)
    inputs = [_inputs(rng) for _ in range(10)]

    async def main():
        return await asyncio.gather(*(model.acall(*args) for args in inputs), model.spin.acall(np.int64(4)))

    *results, spun = asyncio.run(main())
    for result, args in zip(results, inputs):
        np.testing.assert_allclose(result, _expected(*args), rtol=1e-5, atol=1e-5)
    assert spun == 4


def test_acall_does_not_block_the_event_loop(model):
    async def main():
        ticks = 0
        call = asyncio.ensure_future(model.spin.acall(np.int64(BUSY)))
        while not call.done():
            ticks += 1
            await asyncio.sleep(0.001)
        return await call, ticks

    result, ticks = asyncio.run(main())
    assert result == BUSY
    assert ticks > 1


def test_acall_errors_are_raised_by_await(model):
    async def main():
        await model.spin.acall(np.int64(10), fuel=_iterations(model.spin, 2))

    with pytest.raises(webtensor.BudgetExceeded):
        asyncio.run(main())


def test_local_sync_runs_calls_side_by_side(model):
    # local-sync keeps a context per core: a call abandoned past its deadline
    # holds one, and the next call takes another instead of waiting.
    sync = webtensor.load(model.artifact.data, device="local-sync")
    with pytest.raises(webtensor.Timeout):
        sync.spin(np.int64(1 << 62), fuel=_iterations(sync.spin, 500_000), deadline=0.1)
    assert sync._engine.contexts.busy == 1
    if pool_size("local-sync") > 1:
        assert sync.spin(np.int64(3), deadline=30) == 3
    else:
        with pytest.raises(webtensor.Timeout):
            sync.spin(np.int64(3), deadline=0.1)


def test_one_context_on_local_task(model):
    assert pool_size("local-task") == 1 and pool_size("cuda") == 1 and pool_size("vulkan") == 1
    assert pool_size("local-sync") == max(1, os.cpu_count() or 1)


def test_the_pool_makes_contexts_on_demand_and_waits_at_its_size():
    made = []

    def make():
        made.append(object())
        return made[-1]

    pool = ContextPool(make, size=2)
    assert len(made) == 1 and pool.busy == 0
    first, second = pool.take(), pool.take()
    assert first is not second and len(made) == 2 and pool.busy == 2
    taken = []
    waiter = threading.Thread(target=lambda: taken.append(pool.take()))
    waiter.start()
    waiter.join(timeout=0.2)
    assert waiter.is_alive() and taken == []  # both contexts are in use: it waits
    pool.give(second)
    waiter.join(timeout=30)
    assert taken == [second] and len(made) == 2 and pool.busy == 2
    pool.give(first)
    pool.give(second)
    assert pool.busy == 0


def test_a_context_that_cannot_be_made_is_not_counted():
    calls = []

    def make():
        calls.append(1)
        if len(calls) == 2:
            raise webtensor.ExecutionError("could not load the artifact")
        return object()

    pool = ContextPool(make, size=2)
    held = pool.take()
    with pytest.raises(webtensor.ExecutionError, match="could not load the artifact"):
        pool.take()
    assert pool.busy == 1
    again = pool.take()  # room for one more: made now
    assert again is not held and len(calls) == 3 and pool.busy == 2
