"""Per-call wall-clock deadlines on a model whose calls run in this process:
a call past its deadline raises Timeout at once; the abandoned invocation
runs on (its fuel bounds it) and cannot disturb the calls after it. A model
loaded with a deadline runs its calls in a child process by default, which
the deadline kills: test_runtime_process.py."""

import math
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import webtensor
from webtensor.bench.models import SQUARING_LOOP, budget_for, squared


FOREVER = np.int64(1 << 62)
# Loop iterations cost tens of microseconds: this many keep an abandoned
# call busy for seconds, far past the deadlines below.
LONG = 30_000




@pytest.fixture(scope="module")
def artifact():
    return webtensor.compile(SQUARING_LOOP).artifact.data


@pytest.fixture
def x():
    return np.random.default_rng(3).uniform(0.5, 1.5, 4).astype(np.float32)




def test_a_call_within_its_deadline_returns_its_results(artifact, x):
    model = webtensor.load(artifact)
    np.testing.assert_allclose(model(np.int64(3), x, deadline=30.0), squared(x, 3), rtol=1e-6)
    np.testing.assert_allclose(model.main(np.int64(2), x, deadline=30), squared(x, 2), rtol=1e-6)


def test_a_call_past_its_deadline_times_out_and_the_model_recovers(artifact, x):
    model = webtensor.load(artifact)
    with pytest.raises(webtensor.Timeout) as info:
        model(FOREVER, x, fuel=budget_for(model, LONG), deadline=0.2)
    assert str(info.value) == (
        "main did not finish within its deadline of 0.2 s on local-task; the model finishes "
        "the abandoned call (its fuel bounds it) before it takes the next one"
    )
    assert not isinstance(info.value, webtensor.BudgetExceeded)
    assert model._engine.contexts.busy  # the abandoned invocation is still running
    # A call that waits its turn behind it has its own deadline.
    with pytest.raises(webtensor.Timeout, match="deadline of 0.3 s"):
        model(np.int64(1), x, deadline=0.3)
    # Without a deadline, a call waits for the abandoned one and then runs normally.
    np.testing.assert_allclose(model(np.int64(4), x), squared(x, 4), rtol=1e-6)
    assert not model._engine.contexts.busy


def test_the_model_default_and_per_call_override(artifact, x):
    model = webtensor.load(artifact, deadline=0.2, fuel=budget_for(webtensor.load(artifact), LONG), process=False)
    assert model.deadline == 0.2 and model.process is None
    with pytest.raises(webtensor.Timeout, match="deadline of 0.2 s"):
        model(FOREVER, x)
    # math.inf: no deadline for this call (it waits for the abandoned call first).
    np.testing.assert_allclose(model(np.int64(2), x, deadline=math.inf), squared(x, 2), rtol=1e-6)
    np.testing.assert_allclose(model(np.int64(1), x, deadline=60), squared(x, 1), rtol=1e-6)


def test_a_deadline_that_passes_before_the_invocation_runs_nothing(artifact, x):
    model = webtensor.load(artifact)
    with pytest.raises(webtensor.Timeout, match="deadline of 1e-09 s"):
        model(FOREVER, x, fuel=budget_for(model, LONG), deadline=1e-9)
    assert not model._engine.contexts.busy
    np.testing.assert_allclose(model(np.int64(1), x), squared(x, 1), rtol=1e-6)


def test_errors_inside_the_deadline_keep_their_type(artifact, x):
    model = webtensor.load(artifact)
    five = budget_for(model, 5)
    with pytest.raises(webtensor.BudgetExceeded, match=f"budget of {five} work units"):
        model(np.int64(6), x, fuel=five, deadline=30.0)


@pytest.mark.parametrize("deadline", [0, -1.5, math.nan, "1", True, [1]])
def test_bad_deadlines_are_rejected(artifact, x, deadline):
    model = webtensor.load(artifact)
    message = f"deadline must be a positive number of seconds, or None, got {deadline!r}"
    with pytest.raises(webtensor.InvalidArgument) as info:
        model(np.int64(1), x, deadline=deadline)
    assert str(info.value) == message
    with pytest.raises(webtensor.InvalidArgument) as info:
        webtensor.load(artifact, deadline=deadline)
    assert str(info.value) == message


def test_the_process_exits_cleanly_with_a_call_abandoned(artifact, tmp_path):
    path = tmp_path / "loop.vmfb"
    path.write_bytes(artifact)
    script = textwrap.dedent(
        f"""
        import numpy as np
        import webtensor
        model = webtensor.load({str(path)!r})
        try:
            model(np.int64(1 << 62), np.ones(4, np.float32), fuel=10**15, deadline=0.1)
        except webtensor.Timeout:
            print("timed out")
        """
    )
    # The abandoned call would run for hours: exiting must not wait for it.
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "timed out\n"
    assert result.stderr == ""


def test_worker_threads_are_reused(artifact, x):
    model = webtensor.load(artifact)
    model(np.int64(1), x, deadline=30)
    before = {t for t in threading.enumerate() if t.name == "webtensor-deadline"}
    for _ in range(20):
        model(np.int64(1), x, deadline=30)
    after = {t for t in threading.enumerate() if t.name == "webtensor-deadline"}
    assert before and after <= before
