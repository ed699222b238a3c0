"""The ONNX door: files through torch-mlir's importer, initializers as bound
weights, and a fixed sample of ONNX's own node tests (the whole suite is
`python -m webtensor.tests.onnx.runner`, see runner.py)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the 'onnx' extra is not installed: pip install 'webtensor[onnx]'")
pytest.importorskip("torch_mlir", reason="the 'onnx' extra is not installed: pip install 'webtensor[onnx]'")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import webtensor  # noqa: E402
from webtensor.tests.onnx import runner  # noqa: E402

# One test per kind of op and per outcome; each must keep its outcome.
SAMPLE = {
    "test_add_bcast": "pass",
    "test_conv_with_strides_padding": "pass",
    "test_softmax_axis_1": "pass",
    "test_gather_0": "pass",
    "test_clip_example": "pass",  # its min and max are numpy scalars: 0-d tensors
    # Padding past the last window, which IREE fails to compile: torch_mlir_output trims it.
    "test_averagepool_2d_ceil_last_window_starts_on_pad": "pass",
    "test_if": "importer",  # torch-mlir lowers no onnx.If to StableHLO
    "test_maxpool_2d_uint8": "importer",  # torch-mlir's pipeline segfaults: a CompileError here
    # Runs, but wrong: torch-mlir writes fmod=0 as stablehlo.remainder (C's
    # fmod), which StableHLO's reference interpreter gets wrong too.
    "test_mod_mixed_sign_int8": "importer",
    "test_sequence_insert_at_back": "unsupported",
    "test_cast_FLOAT_to_FLOAT8E4M3FN": "unsupported",  # float8: no host type
}


@pytest.fixture(scope="module")
def node_tests(tmp_path_factory):
    directory = tmp_path_factory.mktemp("onnx-nodes")
    runner.generate(directory, set(SAMPLE))
    return directory


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SAMPLE))
def test_node_test_keeps_its_outcome(node_tests, name):
    record = runner.run_test(node_tests / name, isolate=False)
    assert record["outcome"] == SAMPLE[name], record


def test_a_wrong_result_is_put_down_to_the_importer_by_the_reference_interpreter(node_tests):
    record = runner.run_test(node_tests / "test_mod_mixed_sign_int8", isolate=False)
    assert record["cause"] == "wrong values"
    assert record["detail"].startswith("the imported StableHLO is wrong in StableHLO's reference interpreter too")


def _affine_model(path, w, b):
    """y = relu(x @ W + b) reshaped by an int64 shape, W and b initializers."""
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "b"], ["z"]),
            helper.make_node("Relu", ["z"], ["r"]),
            helper.make_node("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([2, 3, 3], np.int64))),
            helper.make_node("Reshape", ["r", "shape"], ["y"]),
        ],
        "affine",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3, 3])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def test_initializers_are_bound_weights(tmp_path):
    rng = np.random.default_rng()
    w, b = rng.standard_normal((8, 3), np.float32), rng.standard_normal(3, np.float32)
    path = tmp_path / "affine.onnx"
    _affine_model(path, w, b)
    model = webtensor.compile(str(path))
    assert list(model.weights) == ["W", "b"]
    assert str(model.signature) == "main(x: float32[6,8]) -> (y: float32[2,3,3])"
    x = rng.standard_normal((6, 8), np.float32)
    want = np.maximum(x @ w + b, 0).reshape(2, 3, 3)
    np.testing.assert_allclose(model(x), want, rtol=1e-5, atol=1e-6)
    model.load_weights({"W": 2 * w, "b": b})
    np.testing.assert_allclose(model(x), np.maximum(x @ (2 * w) + b, 0).reshape(2, 3, 3), rtol=1e-5, atol=1e-6)


def test_program_holds_no_weight_values_and_no_resource_blobs(tmp_path):
    w = np.full((8, 3), 0.123456, np.float32) + np.arange(24, dtype=np.float32).reshape(8, 3)
    path = tmp_path / "affine.onnx"
    _affine_model(path, w, np.zeros(3, np.float32))
    text = webtensor.compile_ir(str(path), phase="input")
    assert "dense_resource" not in text
    assert "1.234560e-01" not in text  # W's values stay out
    assert "(%arg0: tensor<6x8xf32>, %arg1: tensor<8x3xf32>, %arg2: tensor<3xf32>)" in text


def test_export_writes_a_package_with_the_initializers(tmp_path):
    rng = np.random.default_rng()
    w, b = rng.standard_normal((8, 3), np.float32), rng.standard_normal(3, np.float32)
    _affine_model(tmp_path / "affine.onnx", w, b)
    webtensor.export(str(tmp_path / "affine.onnx")).save(tmp_path / "affine.wtpkg")
    model = webtensor.load(tmp_path / "affine.wtpkg")
    x = rng.standard_normal((6, 8), np.float32)
    np.testing.assert_allclose(model(x), np.maximum(x @ w + b, 0).reshape(2, 3, 3), rtol=1e-5, atol=1e-6)


def test_a_missing_extra_is_one_line_naming_what_to_install(tmp_path):
    _affine_model(tmp_path / "a.onnx", np.ones((8, 3), np.float32), np.ones(3, np.float32))
    code = (
        "import sys; sys.modules['torch_mlir'] = None\n"
        "import webtensor\n"
        "try:\n"
        f"    webtensor.compile({str(tmp_path / 'a.onnx')!r})\n"
        "except ImportError as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300).stdout
    assert out.strip().splitlines()[-1] == (
        "MissingExtra compiling an ONNX file needs the 'onnx' extra (torch_mlir is not installed): "
        "pip install 'webtensor[onnx]'"
    )


def test_float16_constants_become_weights_not_resource_blobs(tmp_path):
    # The importer writes float16 data only as dense_resource, which the
    # bindings cannot read back: such constants are bound as weights.
    graph = helper.make_graph(
        [
            helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(np.array(2.0, np.float16))),
            helper.make_node("Mul", ["x", "c"], ["y"]),
        ],
        "half",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [3])],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "half.onnx")
    model = webtensor.compile(str(tmp_path / "half.onnx"))
    assert list(model.weights) == ["c"]
    x = np.random.default_rng().standard_normal(3).astype(np.float16)
    np.testing.assert_array_equal(model(x), x * np.float16(2))


def test_the_importer_child_out_of_memory_is_a_compile_error(tmp_path, monkeypatch):
    # 64 MiB of address space is far below what the child already maps, so
    # loading torch-mlir's libraries fails there, not in this process.
    from webtensor.compiler.frontends import onnx_file

    monkeypatch.setattr(onnx_file, "LOWER_MEMORY_BYTES", 64 << 20)
    _affine_model(tmp_path / "a.onnx", np.ones((8, 3), np.float32), np.ones(3, np.float32))
    with pytest.raises(webtensor.CompileError) as caught:
        webtensor.compile(str(tmp_path / "a.onnx"))
    assert str(caught.value).splitlines()[0].endswith(
        "a.onnx: torch-mlir ran out of its 0.0625 GiB of address space lowering the ONNX graph"
    )
