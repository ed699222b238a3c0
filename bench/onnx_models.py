"""The zoo as ONNX graphs, for ONNX Runtime as a peer (optional: needs the
`bench` extra, `pip install -e '.[bench]'`).

No exporter turns our JAX functions into ONNX, so each zoo model is written
here again with onnx.helper from the same weights. Before a model is timed,
its ONNX Runtime output is compared with jax.jit's; one that disagrees is
left out with a note, never timed as if it were the same model.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

from .zoo import ZooModel

OPSET = 20  # Gelu with approximate="tanh", as jax.nn.gelu computes it
_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int64): TensorProto.INT64}


class _Graph:
    """A small builder: every node gets a fresh output name."""

    def __init__(self):
        self.nodes: list = []
        self.initializers: list = []
        self.inputs: list = []
        self._count = 0

    def _name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def input(self, name: str, array: np.ndarray) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, _TYPES[array.dtype], array.shape))
        return name

    def const(self, array: Any, hint: str = "c") -> str:
        name = self._name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type: str, *inputs: str, outputs: int = 1, **attrs) -> Any:
        names = [self._name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else names

    def model(self, outputs: list[str]) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes,
            "zoo",
            self.inputs,
            [helper.make_empty_tensor_value_info(o) for o in outputs],
            self.initializers,
        )
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])

    # Layers shared by the models.
    def dense(self, x: str, w: np.ndarray, b: np.ndarray | None = None) -> str:
        y = self.op("MatMul", x, self.const(w, "w"))
        return y if b is None else self.op("Add", y, self.const(b, "b"))

    def layer_norm(self, x: str, scale: np.ndarray, bias: np.ndarray, eps: float) -> str:
        return self.op("LayerNormalization", x, self.const(scale), self.const(bias), axis=-1, epsilon=eps)

    def reshape(self, x: str, shape: tuple[int, ...]) -> str:
        return self.op("Reshape", x, self.const(np.array(shape, np.int64), "shape"))


def _mlp(g: _Graph, params, x: np.ndarray) -> list[str]:
    h = g.input("x", x)
    h = g.op("Relu", g.dense(h, params["w1"], params["b1"]))
    h = g.op("Relu", g.dense(h, params["w2"], params["b2"]))
    return [g.dense(h, params["w3"], params["b3"])]


def _cnn3(g: _Graph, params, x: np.ndarray) -> list[str]:
    h = g.op("Transpose", g.input("x", x), perm=[0, 3, 1, 2])  # NHWC -> NCHW
    for i in (1, 2, 3):
        w = params[f"c{i}"].transpose(3, 2, 0, 1)  # HWIO -> OIHW
        h = g.op("Conv", h, g.const(w), g.const(params[f"c{i}b"]), pads=[1, 1, 1, 1])
        scale, offset, mean, var = params[f"bn{i}"]
        h = g.op("BatchNormalization", h, *(g.const(a) for a in (scale, offset, mean, var)), epsilon=1e-5)
        h = g.op("MaxPool", g.op("Relu", h), kernel_shape=[2, 2], strides=[2, 2])
    h = g.op("Flatten", g.op("GlobalAveragePool", h))
    return [g.dense(h, params["fc"])]


def _attention_block(g: _Graph, p, x: str, batch: int | None, seq: int, d: int, heads: int, causal: bool) -> str:
    lead = () if batch is None else (batch,)
    perm = [1, 0, 2] if batch is None else [0, 2, 1, 3]
    h = g.layer_norm(x, p["ln1_s"], p["ln1_b"], 1e-6)
    q, k, v = g.op("Split", g.dense(h, p["qkv"]), g.const(np.array([d, d, d], np.int64)), axis=-1, outputs=3)
    q, k, v = (g.op("Transpose", g.reshape(t, (*lead, seq, heads, d // heads)), perm=perm) for t in (q, k, v))
    k_t = g.op("Transpose", k, perm=[0, 2, 1] if batch is None else [0, 1, 3, 2])
    logits = g.op("Div", g.op("MatMul", q, k_t), g.const(np.float32(np.sqrt(d // heads))))
    if causal:
        mask = np.tril(np.ones((seq, seq), bool))
        logits = g.op("Where", g.const(mask), logits, g.const(np.float32(-1e9)))
    attention = g.op("MatMul", g.op("Softmax", logits, axis=-1), v)
    attention = g.reshape(g.op("Transpose", attention, perm=perm), (*lead, seq, d))
    x = g.op("Add", x, g.dense(attention, p["proj"]))
    h = g.layer_norm(x, p["ln2_s"], p["ln2_b"], 1e-6)
    h = g.op("Gelu", g.dense(h, p["mlp1"], p["mlp1_b"]), approximate="tanh")
    return g.op("Add", x, g.dense(h, p["mlp2"], p["mlp2_b"]))


def _encoder(g: _Graph, params, x: np.ndarray) -> list[str]:
    batch, seq, d = x.shape
    return [_attention_block(g, params, g.input("x", x), batch, seq, d, 4, causal=False)]


def _gpt(g: _Graph, params, tokens: np.ndarray) -> list[str]:
    seq, d = params["wpe"].shape
    x = g.op("Add", g.op("Gather", g.const(params["wte"]), g.input("tokens", tokens), axis=0), g.const(params["wpe"]))
    for block in params["blocks"]:
        x = _attention_block(g, block, x, None, seq, d, 4, causal=True)
    x = g.layer_norm(x, params["lnf_s"], params["lnf_b"], 1e-6)
    return [g.dense(x, params["wte"].T.copy())]


def _embedding(g: _Graph, table: np.ndarray, indices: np.ndarray) -> list[str]:
    t, i = g.input("table", table), g.input("indices", indices)
    rows = g.op("Gather", t, i, axis=0)
    index_column = g.op("Unsqueeze", g.op("Cast", i, to=TensorProto.INT64), g.const(np.array([1], np.int64)))
    updates = g.op("Mul", rows, g.const(np.float32(0.5)))
    return [rows, g.op("ScatterND", t, index_column, updates, reduction="add")]


BUILDERS: dict[str, Callable] = {
    "mlp": _mlp,
    "cnn3": _cnn3,
    "encoder_block": _encoder,
    "gpt": _gpt,
    "embedding_update": _embedding,
}


def session_call(zoo: ZooModel, notes: list[str]) -> Callable[[], Any] | None:
    """A call of the zoo model on ONNX Runtime, checked against jax.jit first."""
    fn, params, inputs = zoo.build()
    builder = BUILDERS.get(fn.__name__)
    if builder is None:
        notes.append("onnxruntime: no ONNX version of this model")
        return None
    graph = _Graph()
    outputs = builder(graph, params, *inputs)
    options = onnxruntime.SessionOptions()
    # ONNX Runtime's workers spin after each run by default, taking the cores
    # from whichever runtime is timed next (it doubled IREE's median on the
    # CNN); the benchmark takes turns, so they must sleep like the others'.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        graph.model(outputs).SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    # Weights are initializers of the graph, except where the model takes
    # them as data (the embedding table): the graph's inputs are the last
    # ones of (params, *inputs).
    values = (params, *inputs)[-len(graph.inputs):]
    feeds = {spec.name: value for spec, value in zip(graph.inputs, values)}
    got = session.run(None, feeds)
    want = jax.tree_util.tree_leaves(jax.jit(fn)(params, *inputs))
    worst = max(float(np.max(np.abs(np.asarray(w) - g))) for w, g in zip(want, got))
    scale = max(float(np.max(np.abs(np.asarray(w)))) for w in want)
    if worst > 1e-3 * max(scale, 1.0):
        notes.append(f"onnxruntime: left out, its result differs from XLA's by {worst:.3g}")
        return None
    return lambda: session.run(None, feeds)
