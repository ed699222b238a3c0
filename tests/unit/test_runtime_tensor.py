"""Device-resident tensors: results kept on the device, passed back as inputs
without a host round trip, and never written by the calls they go into."""

import numpy as np
import pytest
from iree.runtime import HalBufferView, HalElementType

import webtensor
from webtensor.runtime import devices
from webtensor.runtime.tensor import copy_on_device

AFFINE = """
func.func @main(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = stablehlo.multiply %x, %y : tensor<4xf32>
  %1 = stablehlo.add %0, %x : tensor<4xf32>
  return %1, %0 : tensor<4xf32>, tensor<4xf32>
}
func.func @negate(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.negate %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func @wide(%x: tensor<8xf32>) -> tensor<8xf32> {
  return %x : tensor<8xf32>
}
func.func @count(%x: tensor<4xi32>) -> tensor<4xi32> {
  return %x : tensor<4xi32>
}
"""

# Both write into a buffer the size of their first operand, an input: the
# kind of op that IREE could be tempted to run in place.
SCATTER = """
func.func @main(%x: tensor<8xf32>, %u: tensor<2xf32>) -> tensor<8xf32> {
  %idx = stablehlo.constant dense<[[1], [5]]> : tensor<2x1xi32>
  %0 = "stablehlo.scatter"(%x, %idx, %u) ({
    ^bb0(%a: tensor<f32>, %b: tensor<f32>):
      stablehlo.return %b : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [], inserted_window_dims = [0],
      scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<8xf32>, tensor<2x1xi32>, tensor<2xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}
func.func @update(%x: tensor<8xf32>, %u: tensor<2xf32>) -> tensor<8xf32> {
  %i = stablehlo.constant dense<3> : tensor<i32>
  %0 = stablehlo.dynamic_update_slice %x, %u, %i : (tensor<8xf32>, tensor<2xf32>, tensor<i32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}
"""

BOUNDED = """
func.func @main(%a: tensor<?x4xf32, #stablehlo.bounds<8, ?>>, %b: tensor<?x4xf32, #stablehlo.bounds<8, ?>>) -> tensor<?x4xf32> {
  %0 = stablehlo.add %a, %b : (tensor<?x4xf32, #stablehlo.bounds<8, ?>>, tensor<?x4xf32, #stablehlo.bounds<8, ?>>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
func.func @rows(%a: tensor<?x4xf32, #stablehlo.bounds<16, ?>>) -> tensor<?x4xf32> {
  %0 = stablehlo.negate %a : (tensor<?x4xf32, #stablehlo.bounds<16, ?>>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
"""


@pytest.fixture(scope="module")
def affine():
    return webtensor.compile(AFFINE)


@pytest.fixture(scope="module")
def scatter():
    return webtensor.compile(SCATTER)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_results_stay_on_the_device(affine, rng):
    x, y = rng.standard_normal((2, 4)).astype(np.float32)
    out, product = affine(x, y, keep_on_device=True)
    assert isinstance(out, webtensor.DeviceTensor)
    assert out.shape == (4,) and out.dtype == np.float32 and out.device == "local-task"
    assert out.nbytes == 16
    assert repr(out) == "<webtensor.DeviceTensor float32[4] on local-task>"
    np.testing.assert_allclose(out.numpy(), x * y + x, rtol=1e-6)
    np.testing.assert_array_equal(product.numpy(), x * y)
    np.testing.assert_array_equal(np.asarray(product), x * y)


def test_numpy_copies_every_time(affine, rng):
    x, y = rng.standard_normal((2, 4)).astype(np.float32)
    _, product = affine(x, y, keep_on_device=True)
    first = product.numpy()
    assert first.flags.owndata and first.flags.writeable
    first[:] = 0
    np.testing.assert_array_equal(product.numpy(), x * y)


def test_device_tensors_go_back_in(affine, rng):
    x, y = rng.standard_normal((2, 4)).astype(np.float32)
    out, product = affine(x, y, keep_on_device=True)
    again, _ = affine(out, product)  # host arrays out, device tensors in
    host_out, host_product = out.numpy(), product.numpy()
    np.testing.assert_allclose(again, host_out * host_product + host_out, rtol=1e-6)
    mixed, _ = affine(out, y)
    np.testing.assert_allclose(mixed, host_out * y + host_out, rtol=1e-6)


def test_device_tensors_pass_between_models_on_one_device(affine, rng):
    other = webtensor.load(affine.artifact.data)
    x, y = rng.standard_normal((2, 4)).astype(np.float32)
    _, product = affine(x, y, keep_on_device=True)
    negated = other.negate(product, keep_on_device=True)
    assert negated.device == "local-task"
    np.testing.assert_array_equal(negated.numpy(), -(x * y))


def test_device_tensor_from_another_device_is_refused(affine, rng):
    sync = webtensor.load(affine.artifact.data, device="local-sync")
    x = rng.standard_normal(4).astype(np.float32)
    on_sync = sync.negate(x, keep_on_device=True)
    assert on_sync.device == "local-sync"
    with pytest.raises(webtensor.InvalidArgument) as info:
        affine.negate(on_sync)
    assert str(info.value) == (
        "argument arg0: this DeviceTensor is on local-sync, but the model runs on local-task; "
        "pass tensor.numpy() to move it through the host"
    )
    np.testing.assert_array_equal(affine.negate(on_sync.numpy()), x)


@pytest.mark.parametrize(
    "function, message",
    [
        ("wide", "argument arg0: expected float32[8], got float32[4]"),
        ("count", "argument arg0: expected int32[4], got float32[4]"),
    ],
)
def test_signature_checks_apply_to_device_tensors(affine, rng, function, message):
    tensor = affine.negate(rng.standard_normal(4).astype(np.float32), keep_on_device=True)
    with pytest.raises(webtensor.InvalidArgument) as info:
        affine[function](tensor)
    assert str(info.value) == message


@pytest.mark.parametrize("function", ["main", "update"])
def test_a_call_cannot_write_into_its_device_tensor_inputs(scatter, rng, function):
    x = rng.standard_normal(8).astype(np.float32)
    u = rng.standard_normal(2).astype(np.float32)
    identity = webtensor.compile(
        "func.func @main(%x: tensor<8xf32>) -> tensor<8xf32> {\n  return %x : tensor<8xf32>\n}"
    )
    on_device = identity(x, keep_on_device=True)
    result = scatter[function](on_device, u, keep_on_device=True)
    expected = x.copy()
    if function == "main":
        expected[[1, 5]] = u
    else:
        expected[3:5] = u
    np.testing.assert_array_equal(result.numpy(), expected)
    np.testing.assert_array_equal(on_device.numpy(), x)
    # and a second call still sees the original
    np.testing.assert_array_equal(scatter[function](on_device, u), expected)


def test_copies_on_device_are_separate_buffers(affine, rng):
    x = rng.standard_normal(4).astype(np.float32)
    tensor = affine.negate(x, keep_on_device=True)
    hal_device = devices.get_hal_device("local-task")
    (copy,) = copy_on_device(hal_device, [tensor], [HalElementType.FLOAT_32])
    np.testing.assert_array_equal(copy.map().asarray((4,), np.dtype(np.float32)), -x)
    copy.map().asarray((4,), np.dtype(np.float32))[:] = 123.0  # write into the copy
    np.testing.assert_array_equal(tensor.numpy(), -x)


def test_the_callee_gets_its_own_buffer(scatter, rng):
    # Whatever an artifact does with its input buffers, it does to a copy:
    # write through the buffer a call would receive, and the tensor is intact.
    x = rng.standard_normal(8).astype(np.float32)
    tensor = webtensor.load(scatter.artifact.data).update(x, np.zeros(2, np.float32), keep_on_device=True)
    before = tensor.numpy()
    arg_list, _ = scatter.main._prepare([tensor, np.zeros(2, np.float32)], None)
    received = arg_list.get_as_object(0, HalBufferView)
    received.map().asarray((8,), np.dtype(np.float32))[:] = -1.0
    np.testing.assert_array_equal(tensor.numpy(), before)


def test_dynamic_shapes_are_checked_for_device_tensors(rng):
    model = webtensor.compile(BOUNDED)
    rows = lambda n: model.rows(rng.standard_normal((n, 4)).astype(np.float32), keep_on_device=True)  # noqa: E731
    a, b = rows(5), rows(5)
    np.testing.assert_allclose(model(a, b), a.numpy() + b.numpy(), rtol=1e-6)
    empty = model(rows(0), rows(0), keep_on_device=True)
    assert empty.shape == (0, 4) and empty.numpy().shape == (0, 4)
    with pytest.raises(webtensor.InvalidArgument, match="must be equal: arg0 dim 0 = 5, arg1 dim 0 = 6"):
        model(a, rows(6))
    with pytest.raises(webtensor.InvalidArgument, match="argument arg0: dimension 0 is 9, above its declared bound 8"):
        model(rows(9), rows(9))


def test_fuel_still_applies_with_device_outputs(rng):
    loop = webtensor.compile(
        """
func.func @main(%n: tensor<i32>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = stablehlo.constant dense<0> : tensor<i32>
  %c1 = stablehlo.constant dense<1> : tensor<i32>
  %r:2 = stablehlo.while(%i = %c0, %acc = %x) : tensor<i32>, tensor<4xf32>
    cond {
      %p = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %j = stablehlo.add %i, %c1 : tensor<i32>
      %y = stablehlo.add %acc, %acc : tensor<4xf32>
      stablehlo.return %j, %y : tensor<i32>, tensor<4xf32>
    }
  return %r#1 : tensor<4xf32>
}
"""
    )
    x = rng.standard_normal(4).astype(np.float32)
    three, two = (loop.signature.cost + n * loop.signature.loop_costs[0] for n in (3, 2))  # iterations, in work units
    doubled = loop(np.int32(3), x, keep_on_device=True, fuel=three)
    np.testing.assert_array_equal(doubled.numpy(), x * 8)
    with pytest.raises(webtensor.BudgetExceeded, match=f"budget of {two} work units"):
        loop(np.int32(3), doubled, keep_on_device=True, fuel=two)


@pytest.mark.parametrize("target, device", [("cuda", "cuda"), ("vulkan-spirv", "vulkan")])
def test_device_tensors_on_a_gpu(target, device, rng, need_device):
    need_device(device)
    model = webtensor.compile(AFFINE, target=target)
    assert model.device == device
    x, y = rng.standard_normal((2, 4)).astype(np.float32)
    out, product = model(x, y, keep_on_device=True)
    again, _ = model(out, product)
    np.testing.assert_allclose(again, (x * y + x) * (x * y) + (x * y + x), rtol=1e-5)
    np.testing.assert_allclose(product.numpy(), x * y, rtol=1e-6)


def test_to_device_puts_a_copy_that_calls_accept():
    model = webtensor.compile(
        "func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {"
        " %0 = stablehlo.add %x, %x : tensor<3xf32> return %0 : tensor<3xf32> }"
    )
    x = np.array([1, 2, 3], np.float32)
    t = model.to_device(x)
    x[0] = 100  # the device copy does not follow
    assert t.shape == (3,) and t.dtype == np.float32 and t.device == model.device
    np.testing.assert_array_equal(model(t), [2, 4, 6])
    with pytest.raises(webtensor.InvalidArgument, match="cannot put an array of dtype object"):
        model.to_device(np.array([object()]))
