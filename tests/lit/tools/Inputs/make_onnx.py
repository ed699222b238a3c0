"""Writes a small ONNX model for the ONNX lit tests: y = relu(x @ W + b),
reshaped to 2x2x3 by an int64 shape initializer. W (4x3) and b (3) are
float initializers, so weights; the shape stays a constant.

    python make_onnx.py OUT.onnx
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

W = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
B = np.array([-1.0, 0.0, 1.0], np.float32)

graph = helper.make_graph(
    [
        helper.make_node("MatMul", ["x", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["z"]),
        helper.make_node("Relu", ["z"], ["r"]),
        helper.make_node("Reshape", ["r", "shape"], ["y"]),
    ],
    "affine",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2, 3])],
    [numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "b"), numpy_helper.from_array(np.array([2, 2, 3], np.int64), "shape")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
