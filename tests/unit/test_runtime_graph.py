"""The wasi-nn-shaped layer: load_graph, init_execution_context, set_input,
compute, get_output."""

import inspect

import jax.numpy as jnp
import numpy as np
import pytest

import webtensor
from webtensor.runtime.call_process import ProcessOptions
from webtensor.runtime.package import MAGIC as PACKAGE_MAGIC
from webtensor.runtime.weights import save_weights

TWO = """
func.func @main(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = stablehlo.add %a, %b : tensor<2x3xf32>
  %1 = stablehlo.multiply %a, %b : tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}
func.func @twice(%x: tensor<3xi32>) -> tensor<3xi32> {
  %0 = stablehlo.add %x, %x : tensor<3xi32>
  return %0 : tensor<3xi32>
}
"""

LOOP = """
func.func @main(%n: tensor<i32>) -> tensor<i32> {
  %c0 = stablehlo.constant dense<0> : tensor<i32>
  %c1 = stablehlo.constant dense<1> : tensor<i32>
  %r:2 = stablehlo.while(%i = %c0, %s = %c0) : tensor<i32>, tensor<i32>
    cond {
      %p = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %j = stablehlo.add %i, %c1 : tensor<i32>
      %t = stablehlo.add %s, %i : tensor<i32>
      stablehlo.return %j, %t : tensor<i32>, tensor<i32>
    }
  return %r#1 : tensor<i32>
}
"""


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    path = tmp_path_factory.mktemp("graph") / "two.vmfb"
    webtensor.compile(TWO).save(path)
    return path


@pytest.fixture(scope="module")
def graph(artifact):
    return webtensor.load_graph(artifact)


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def test_load_graph_from_a_path_or_bytes(artifact):
    for source in (artifact, str(artifact), artifact.read_bytes()):
        graph = webtensor.load_graph(source)
        assert isinstance(graph, webtensor.Graph)
        assert graph.device == "local-task"
        assert sorted(graph.functions) == ["main", "twice"]
    assert webtensor.load_graph is webtensor.runtime.load_graph
    assert webtensor.load_graph(artifact, device="local-sync").device == "local-sync"


def test_set_input_then_compute(graph, rng):
    a, b = rng.standard_normal((2, 2, 3)).astype(np.float32)
    ctx = graph.init_execution_context()
    assert ctx.function == "main"
    assert [t.name for t in ctx.inputs] == ["arg0", "arg1"]
    assert [t.name for t in ctx.outputs] == ["result0", "result1"]
    ctx.set_input("arg0", a)
    ctx.set_input(1, b)
    outputs = ctx.compute()
    assert list(outputs) == ["result0", "result1"]
    np.testing.assert_array_equal(outputs["result0"], a + b)
    np.testing.assert_array_equal(outputs["result1"], a * b)
    np.testing.assert_array_equal(ctx.get_output("result1"), a * b)
    np.testing.assert_array_equal(ctx.get_output(0), a + b)


def test_compute_with_inputs_and_rebinding(graph, rng):
    a, b, c = rng.standard_normal((3, 2, 3)).astype(np.float32)
    ctx = graph.init_execution_context("main")
    np.testing.assert_array_equal(ctx.compute({"arg0": a, 1: b})["result0"], a + b)
    # bound inputs stay bound; rebind one
    np.testing.assert_array_equal(ctx.compute({"arg1": c})["result0"], a + c)


def test_set_input_takes_a_snapshot(graph, rng):
    a, b = rng.standard_normal((2, 2, 3)).astype(np.float32)
    original = a.copy()
    ctx = graph.init_execution_context()
    ctx.set_input(0, a)
    ctx.set_input(1, b)
    a[:] = 0
    np.testing.assert_array_equal(ctx.compute()["result0"], original + b)


def test_get_output_is_a_copy(graph, rng):
    a, b = rng.standard_normal((2, 2, 3)).astype(np.float32)
    ctx = graph.init_execution_context()
    ctx.compute({"arg0": a, "arg1": b})
    first = ctx.get_output("result0")
    first[:] = 0
    np.testing.assert_array_equal(ctx.get_output("result0"), a + b)


def test_other_functions_and_device_tensors(graph):
    ctx = graph.init_execution_context("twice")
    x = np.array([1, -2, 3], np.int32)
    assert ctx.compute({"arg0": x})["result0"].tolist() == [2, -4, 6]
    on_device = graph.model.twice(x, keep_on_device=True)
    ctx.set_input("arg0", on_device)
    assert ctx.get_output(0).tolist() == [2, -4, 6]  # still the last compute's
    assert ctx.compute()["result0"].tolist() == [4, -8, 12]
    assert on_device.numpy().tolist() == [2, -4, 6]


def test_contexts_are_independent(graph, rng):
    a, b = rng.standard_normal((2, 2, 3)).astype(np.float32)
    first, second = graph.init_execution_context(), graph.init_execution_context()
    first.compute({"arg0": a, "arg1": b})
    with pytest.raises(webtensor.InvalidArgument, match="no value for input"):
        second.compute()


def test_pytree_names():
    def f(params, x):
        return {"out": x @ params["w"], "norm": jnp.sum(x * x)}

    params = {"w": np.ones((3, 2), np.float32)}
    x = np.arange(3, dtype=np.float32)
    graph = webtensor.load_graph(webtensor.compile(f, params, x).artifact.data)
    ctx = graph.init_execution_context()
    assert [t.name for t in ctx.inputs] == ["params['w']", "x"]
    outputs = ctx.compute({"params['w']": params["w"], "x": x})
    assert sorted(outputs) == ["result['norm']", "result['out']"]
    assert outputs["result['out']"].tolist() == [3.0, 3.0]
    assert outputs["result['norm']"] == 5.0


def test_fuel_and_deadline_pass_through():
    model = webtensor.compile(LOOP)
    signature = model.signature
    four, five = (signature.cost + n * signature.loop_costs[0] for n in (4, 5))  # iterations, in work units
    graph = webtensor.load_graph(model.artifact.data, fuel=four)
    ctx = graph.init_execution_context()
    assert ctx.compute({0: np.int32(4)})["result0"] == 6
    with pytest.raises(webtensor.BudgetExceeded, match=f"budget of {four} work units"):
        ctx.compute({0: np.int32(5)})
    # a failed compute leaves no outputs behind
    with pytest.raises(webtensor.NotFound, match="main: no outputs yet; call compute"):
        ctx.get_output(0)
    assert ctx.compute(fuel=five, deadline=30.0)["result0"] == 10
    with pytest.raises(webtensor.InvalidArgument, match="deadline must be a positive number"):
        ctx.compute(deadline=-1)


@pytest.mark.parametrize(
    "action, error, message",
    [
        (lambda g, c: c.set_input("x", np.zeros((2, 3), np.float32)), webtensor.InvalidArgument,
         "main has no input named 'x'; inputs: arg0, arg1"),
        (lambda g, c: c.set_input(2, np.zeros((2, 3), np.float32)), webtensor.InvalidArgument,
         "main has 2 inputs; index 2 is out of range"),
        (lambda g, c: c.set_input(-1, np.zeros((2, 3), np.float32)), webtensor.InvalidArgument,
         "main has 2 inputs; index -1 is out of range"),
        (lambda g, c: c.set_input(1.0, np.zeros((2, 3), np.float32)), webtensor.InvalidArgument,
         "main: name an input by a string or an index, not a float"),
        (lambda g, c: c.set_input(True, np.zeros((2, 3), np.float32)), webtensor.InvalidArgument,
         "main: name an input by a string or an index, not a bool"),
        (lambda g, c: c.set_input("arg0", np.zeros((3, 2), np.float32)), webtensor.InvalidArgument,
         "argument arg0: expected float32[2,3], got float32[3,2]"),
        (lambda g, c: c.compute(), webtensor.InvalidArgument,
         "main: no value for input(s) arg0, arg1; set them with set_input or compute({name: array})"),
        (lambda g, c: c.compute({"arg0": np.zeros((2, 3), np.float32)}), webtensor.InvalidArgument,
         "main: no value for input(s) arg1;"),
        (lambda g, c: c.compute({"arg0": np.zeros((2, 3), np.float32), "bogus": 1}), webtensor.InvalidArgument,
         "main has no input named 'bogus'; inputs: arg0, arg1"),
        (lambda g, c: c.compute([np.zeros((2, 3), np.float32)]), webtensor.InvalidArgument,
         "main: inputs must be a dict of name to array, got list"),
        (lambda g, c: c.get_output(0), webtensor.NotFound, "main: no outputs yet; call compute() first"),
        (lambda g, c: c.get_output("out"), webtensor.InvalidArgument,
         "main has no output named 'out'; outputs: result0, result1"),
        (lambda g, c: c.get_output(5), webtensor.InvalidArgument, "main has 2 outputs; index 5 is out of range"),
        (lambda g, c: g.init_execution_context("nope"), webtensor.NotFound,
         "no function 'nope' in this model; functions: main, twice"),
    ],
)
def test_errors(graph, action, error, message):
    ctx = graph.init_execution_context()
    with pytest.raises(error) as info:
        action(graph, ctx)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_bad_compute_binds_nothing(graph, rng):
    a, b = rng.standard_normal((2, 2, 3)).astype(np.float32)
    ctx = graph.init_execution_context()
    with pytest.raises(webtensor.InvalidArgument):
        ctx.compute({"arg0": a, "bogus": b})
    with pytest.raises(webtensor.InvalidArgument, match="no value for input.s. arg0, arg1"):
        ctx.compute()


# load_graph is load with its Model wrapped: no second load path, so every
# argument, check and error is load's.


def test_load_graph_takes_the_arguments_of_load():
    assert inspect.signature(webtensor.load_graph).parameters == inspect.signature(webtensor.runtime.load).parameters


@pytest.mark.parametrize(
    "source, options, error, message",
    [
        ("artifact", {"fuel": -1}, webtensor.InvalidArgument, "fuel must be an integer from 0 to"),
        ("artifact", {"deadline": 0}, webtensor.InvalidArgument, "deadline must be a positive number"),
        ("artifact", {"power_preference": "fast"}, webtensor.InvalidArgument, "power_preference"),
        ("artifact", {"device": "tpu"}, webtensor.NotFound, "unknown device 'tpu'"),
        ("artifact", {"process": "yes"}, webtensor.InvalidArgument, "process must be True, False, None or a ProcessOptions, got 'yes'"),
        ("artifact", {"weights": {}}, webtensor.InvalidArgument, "this model has no weights to bind"),
        ("artifact", {"bogus": 1}, TypeError, "unexpected keyword argument 'bogus'"),
        (b"not an artifact", {}, webtensor.InvalidEncoding, ""),
        (PACKAGE_MAGIC + b"rest", {}, webtensor.UnsupportedOperation, "a package is compiled for this host before it runs"),
    ],
)
def test_load_graph_fails_as_load_does(artifact, source, options, error, message):
    source = artifact if source == "artifact" else source
    with pytest.raises(error) as by_load:
        webtensor.runtime.load(source, **options)
    with pytest.raises(error) as by_graph:
        webtensor.load_graph(source, **options)
    assert message in str(by_load.value)
    assert str(by_graph.value) == str(by_load.value)


def test_every_load_option_reaches_the_model(tmp_path):
    def f(w, x):
        return x @ w

    rng = np.random.default_rng(5)
    w = rng.standard_normal((3, 2)).astype(np.float32)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    compiled = webtensor.compile(f, w, x, weights_argnums=0, cache=False)
    path = tmp_path / "w.safetensors"
    save_weights(path, {"w": w})
    data = compiled.artifact.data

    graph = webtensor.load_graph(data, "local-sync", 1234, deadline=30.0, weights=str(path), process=True)
    model = graph.model
    assert (model.device, model.fuel, model.deadline) == ("local-sync", 1234, 30.0)
    assert model.process == ProcessOptions() and model.weights_source == f"safetensors {path}"
    # Calls run in the model's child process, with the model's budget unless
    # they say otherwise; set_input still takes a snapshot.
    ctx = graph.init_execution_context()
    original = x.copy()
    ctx.set_input("x", x)
    x[:] = 0
    with pytest.raises(webtensor.BudgetExceeded, match="above its budget of 1234; nothing ran"):
        ctx.compute()
    cost = model.signature.cost
    (result,) = ctx.compute(fuel=cost).values()
    np.testing.assert_allclose(result, original @ w, rtol=1e-6)
    ctx.set_input(0, model.to_device(original))
    (result,) = ctx.compute(fuel=cost).values()
    np.testing.assert_allclose(result, original @ w, rtol=1e-6)
    model.close()

    low_power = webtensor.load_graph(data, power_preference="low-power", weights={"w": w})
    assert low_power.device == "local-sync" and low_power.model.process is None
    assert low_power.model.weights_source == "arrays"
