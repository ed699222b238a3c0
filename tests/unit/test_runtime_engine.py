"""A model's engine (runtime/entry_point.py) is the one owner of what a
call needs: the defaults a Model sets reach every door onto it, entry
points, call_async and the wasi-nn layer alike."""

import numpy as np
import pytest

import webtensor
from webtensor.runtime.entry_point import Engine
from webtensor.bench.models import SQUARING_LOOP, budget_for, squared


@pytest.fixture(scope="module")
def artifact():
    return webtensor.compile(SQUARING_LOOP).artifact.data


@pytest.fixture
def x():
    return np.random.default_rng(7).uniform(0.5, 1.5, 4).astype(np.float32)


def test_a_new_default_budget_reaches_every_door(artifact, x):
    model = webtensor.load(artifact)
    two = budget_for(model, 2)
    model.fuel = two
    assert model.limits.default_fuel == two
    message = f"ran out of its budget of {two} work units"
    with pytest.raises(webtensor.BudgetExceeded, match=message):
        model(np.int64(3), x)
    with pytest.raises(webtensor.BudgetExceeded, match=message):
        model.main.call_async(np.int64(3), x).result()
    ctx = webtensor.Graph(model).init_execution_context()
    with pytest.raises(webtensor.BudgetExceeded, match=message):
        ctx.compute({"arg0": np.int64(3), "arg1": x})
    np.testing.assert_allclose(ctx.compute({"arg0": np.int64(2)})["result0"], squared(x, 2), rtol=1e-6)


def test_a_new_default_deadline_reaches_every_door(artifact, x):
    model = webtensor.load(artifact)
    model.deadline = 1e-9  # passes before any invocation starts
    message = "did not finish within its deadline of 1e-09 s"
    with pytest.raises(webtensor.Timeout, match=message):
        model(np.int64(1), x)
    ctx = webtensor.Graph(model).init_execution_context()
    with pytest.raises(webtensor.Timeout, match=message):
        ctx.compute({"arg0": np.int64(1), "arg1": x})
    model.deadline = None
    np.testing.assert_allclose(ctx.compute()["result0"], squared(x, 1), rtol=1e-6)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("fuel", -1, "fuel must be an integer from 0 to 4611686018427387904, got -1"),
        ("fuel", 1.5, "fuel must be an integer from 0 to 4611686018427387904, got 1.5"),
        ("deadline", 0, "deadline must be a positive number of seconds"),
    ],
)
def test_bad_defaults_are_refused_when_set(artifact, name, value, message):
    model = webtensor.load(artifact)
    before = getattr(model, name)
    with pytest.raises(webtensor.InvalidArgument) as info:
        setattr(model, name, value)
    assert message in str(info.value)
    assert getattr(model, name) == before


def test_entry_points_see_the_engine_not_the_model(artifact):
    model = webtensor.load(artifact)
    held = list(vars(model.main).values())
    assert not any(isinstance(value, webtensor.Model) for value in held)
    assert sum(isinstance(value, Engine) for value in held) == 1
