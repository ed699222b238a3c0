"""Dynamic shapes: accepted only with bounds and provable equalities, and
every call's sizes are checked before anything runs."""

import numpy as np
import pytest

import webtensor
from webtensor.dialects.profile import Limits

BOUNDED = """
func.func @main(%a: tensor<?x4xf32, #stablehlo.bounds<16, ?>>, %b: tensor<?x4xf32, #stablehlo.bounds<8, ?>>,
                %w: tensor<4x3xf32>) -> tensor<?x3xf32> {
  %0 = stablehlo.add %a, %b : (tensor<?x4xf32, #stablehlo.bounds<16, ?>>, tensor<?x4xf32, #stablehlo.bounds<8, ?>>) -> tensor<?x4xf32>
  %1 = stablehlo.dot_general %0, %w, contracting_dims = [1] x [0] : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}
"""

UNBOUNDED = """
func.func @main(%a: tensor<?xi32>, %b: tensor<?xi32>) -> tensor<?xi32> {
  %0 = stablehlo.multiply %a, %b : tensor<?xi32>
  return %0 : tensor<?xi32>
}
"""


@pytest.fixture(scope="module")
def bounded():
    return webtensor.compile(BOUNDED)


@pytest.mark.parametrize("rows", [0, 1, 5, 8])
def test_any_size_within_the_bound(bounded, rows):
    rng = np.random.default_rng(rows)
    a, b = rng.standard_normal((2, rows, 4)).astype(np.float32)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(bounded(a, b, w), (a + b) @ w, rtol=1e-5, atol=1e-5)


def test_signature_shows_the_shared_bound(bounded):
    a, b, w = bounded.signature.inputs
    assert a.shape == (None, 4) and a.bounds == (8, None)  # the smaller of 16 and 8: a and b are equal
    assert b.bounds == (8, None)
    assert bounded.signature.equal_dims == (((0, 0), (1, 0)),)


def test_mismatched_sizes_are_refused_before_running(bounded):
    w = np.zeros((4, 3), np.float32)
    with pytest.raises(webtensor.InvalidArgument, match="must be equal: arg0 dim 0 = 5, arg1 dim 0 = 6"):
        bounded(np.zeros((5, 4), np.float32), np.zeros((6, 4), np.float32), w)


def test_sizes_above_the_bound_are_refused(bounded):
    w = np.zeros((4, 3), np.float32)
    with pytest.raises(webtensor.InvalidArgument, match="dimension 0 is 9, above its declared bound 8"):
        bounded(np.zeros((9, 4), np.float32), np.zeros((9, 4), np.float32), w)


def test_unbounded_dims_need_a_host_bound():
    with pytest.raises(webtensor.CompileError, match="dynamic with no upper bound"):
        webtensor.compile(UNBOUNDED)
    model = webtensor.compile(UNBOUNDED, limits=Limits(dynamic_dim_bound=100))
    assert model(np.arange(5, dtype=np.int32), np.arange(5, dtype=np.int32)).tolist() == [0, 1, 4, 9, 16]
    assert model.signature.inputs[0].bounds == (100,)
    with pytest.raises(webtensor.InvalidArgument, match="above its declared bound 100"):
        model(np.zeros(101, np.int32), np.zeros(101, np.int32))


def test_a_bound_that_breaks_the_element_limit_is_refused():
    limits = Limits(dynamic_dim_bound=1 << 40)
    with pytest.raises(webtensor.CompileError, match="elements, above the limit"):
        webtensor.compile(UNBOUNDED, limits=limits)
