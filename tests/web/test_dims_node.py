"""Dynamic dims in the web runtime: a call's sizes are checked against the
signature's `equal_dims`, `fixed_dims` and bounds before anything runs, as
the Python runtime checks them (runtime/signature.py), with its messages;
IREE never sees a call it would fail. In Node, on the caller's thread and in
a worker."""

import jax
import numpy as np
import pytest

import webtensor
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.web.node import run_in_node

# a and b must share their dynamic dim 0 (the add needs it).
EQUAL = """
func.func @main(%a: tensor<?x4xf32, #stablehlo.bounds<16, ?>>, %b: tensor<?x4xf32, #stablehlo.bounds<8, ?>>,
                %w: tensor<4x3xf32>) -> tensor<?x3xf32> {
  %0 = stablehlo.add %a, %b : (tensor<?x4xf32, #stablehlo.bounds<16, ?>>, tensor<?x4xf32, #stablehlo.bounds<8, ?>>) -> tensor<?x4xf32>
  %1 = stablehlo.dot_general %0, %w, contracting_dims = [1] x [0] : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}
"""

# a's dynamic dim 0 must be 4 (it is added to a 4x4 tensor).
FIXED = """
func.func @main(%a: tensor<?x4xf32, #stablehlo.bounds<8, ?>>, %w: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %0 = stablehlo.add %a, %w : (tensor<?x4xf32, #stablehlo.bounds<8, ?>>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
"""


def _models(text, folder):
    path = folder / "model.vmfb"
    path.write_bytes(compile_artifact(import_source(text), CompileOptions(target="wasm32")))
    return path, webtensor.compile(text)


@pytest.fixture(scope="module")
def equal(tmp_path_factory):
    return _models(EQUAL, tmp_path_factory.mktemp("equal"))


@pytest.fixture(scope="module")
def fixed(tmp_path_factory):
    return _models(FIXED, tmp_path_factory.mktemp("fixed"))


def _inputs(*shapes):
    rng = np.random.default_rng(len(shapes) + sum(map(sum, shapes)))
    return [rng.standard_normal(shape).astype(np.float32) for shape in shapes]


@pytest.mark.parametrize("rows", [1, 5, 8])
def test_equal_dims_run_as_jax(node, equal, rows):
    artifact, _ = equal
    a, b, w = _inputs((rows, 4), (rows, 4), (4, 3))
    (got,) = run_in_node(artifact, [a, b, w]).outputs
    np.testing.assert_allclose(got, jax.jit(lambda a, b, w: (a + b) @ w)(a, b, w), rtol=1e-5, atol=1e-5)


def _refusals(artifact, model, inputs, deadline=None):
    """The JS runtime's error and the Python runtime's, for one call."""
    with pytest.raises(webtensor.InvalidArgument) as js:
        run_in_node(artifact, inputs, deadline=deadline)
    with pytest.raises(webtensor.InvalidArgument) as python:
        model(*inputs)
    return str(js.value), str(python.value)


@pytest.mark.parametrize("deadline", [None, 60], ids=["thread", "worker"])
def test_unequal_dims_are_refused_before_the_call_as_in_python(node, equal, deadline):
    artifact, model = equal
    js, python = _refusals(artifact, model, _inputs((5, 4), (6, 4), (4, 3)), deadline)
    assert js == python == "main: these dimensions must be equal: arg0 dim 0 = 5, arg1 dim 0 = 6"


def test_a_dim_above_its_bound_is_refused_as_in_python(node, equal):
    artifact, model = equal
    js, python = _refusals(artifact, model, _inputs((9, 4), (9, 4), (4, 3)))
    assert js == python == "argument arg0: dimension 0 is 9, above its declared bound 8"


def test_fixed_dims_run_as_jax_and_others_are_refused_as_in_python(node, fixed):
    artifact, model = fixed
    a, w = _inputs((4, 4), (4, 4))
    (got,) = run_in_node(artifact, [a, w]).outputs
    np.testing.assert_allclose(got, jax.jit(lambda a, w: a + w)(a, w), rtol=1e-6)
    js, python = _refusals(artifact, model, _inputs((3, 4), (4, 4)))
    assert js == python == "argument arg0: dimension 0 is 3, but the model needs 4"
