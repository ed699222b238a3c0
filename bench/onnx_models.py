"""The zoo exported to ONNX, for ONNX Runtime as a peer (optional: needs the
`bench` extra, `pip install -e '.[bench]'`, which brings onnxruntime and
jax2onnx).

Each model is exported by jax2onnx from the zoo's own JAX function and
weights (bench/zoo.py), so that ONNX Runtime runs the same model by
construction, not a second writing of it. The weights are the graph's
initializers, as a served ONNX model holds them; a model that takes its
table as data (the embedding) takes it as a graph input. Before a model is
timed, its ONNX Runtime output is compared with jax.jit's; one that
disagrees, or that jax2onnx cannot export, is left out with a note, never
timed as if it were the same model.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import numpy as np
import onnx
import onnxruntime
from onnx import helper, numpy_helper

from .zoo import ZooModel

OPSET = 20
# Models whose first argument is data the call passes, not weights to hold.
TAKES_PARAMS_AS_DATA = {"embedding_update"}


def export(zoo: ZooModel) -> tuple[onnx.ModelProto, tuple, Callable, Any, tuple]:
    """The ONNX graph of a zoo model, the arguments its inputs take (in the
    graph's order), and the model's (fn, params, inputs)."""
    import jax2onnx

    fn, params, inputs = zoo.build()
    if fn.__name__ in TAKES_PARAMS_AS_DATA:
        function, arguments = fn, (params, *inputs)
    else:
        function, arguments = (lambda *xs: fn(params, *xs)), inputs
    specs = [jax.ShapeDtypeStruct(np.shape(a), np.asarray(a).dtype) for a in arguments]
    graph = jax2onnx.to_onnx(function, specs, opset=OPSET, model_name=zoo.name)
    _pools_in_two_dims(graph)
    return graph, arguments, fn, params, inputs


def _pools_in_two_dims(model: onnx.ModelProto) -> None:
    """jax2onnx writes an NHWC 2x2 pool (`reduce_window` over (1, k, k, 1))
    as a MaxPool over four spatial dimensions of the input unsqueezed to
    (1, 1, N, H, W, C): valid ONNX, but ONNX Runtime pools over at most
    three. Such a MaxPool becomes the same pool over H and W of the input
    in NCHW: squeeze, transpose, pool, transpose back, unsqueeze."""
    graph = model.graph
    nodes = []
    for node in graph.node:
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        kernel, strides = attributes.get("kernel_shape", []), attributes.get("strides", [])
        pads = attributes.get("pads", [0] * 8)
        rewritable = (
            node.op_type == "MaxPool"
            and len(kernel) == 4
            and kernel[0] == kernel[3] == 1
            and list(strides)[::3] == [1, 1]
            and pads[0] == pads[3] == pads[4] == pads[7] == 0
            and set(attributes) <= {"kernel_shape", "strides", "pads"}
        )
        if not rewritable:
            nodes.append(node)
            continue
        base = node.output[0]
        axes = f"{base}_axes01"
        graph.initializer.append(numpy_helper.from_array(np.array([0, 1], np.int64), axes))
        nodes += [
            helper.make_node("Squeeze", [node.input[0], axes], [f"{base}_nhwc"]),
            helper.make_node("Transpose", [f"{base}_nhwc"], [f"{base}_nchw"], perm=[0, 3, 1, 2]),
            helper.make_node(
                "MaxPool", [f"{base}_nchw"], [f"{base}_pooled"],
                kernel_shape=kernel[1:3], strides=strides[1:3], pads=[pads[1], pads[2], pads[5], pads[6]],
            ),
            helper.make_node("Transpose", [f"{base}_pooled"], [f"{base}_back"], perm=[0, 2, 3, 1]),
            helper.make_node("Unsqueeze", [f"{base}_back", axes], [base]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)


def session_call(zoo: ZooModel, notes: list[str]) -> Callable[[], Any] | None:
    """A call of the zoo model on ONNX Runtime, checked against jax.jit first."""
    try:
        graph, arguments, fn, params, inputs = export(zoo)
    except ImportError as e:
        notes.append(f"onnxruntime: no exporter ({e.name} is not installed: pip install -e '.[bench]')")
        return None
    except Exception as e:  # noqa: BLE001 - an exporter's failure is a note, not a crash
        notes.append(f"onnxruntime: jax2onnx cannot export this model ({type(e).__name__}: {_first_line(e)})")
        return None
    options = onnxruntime.SessionOptions()
    # ONNX Runtime's workers spin after each run by default, taking the cores
    # from whichever runtime is timed next (it doubled IREE's median on the
    # CNN); the benchmark takes turns, so they must sleep like the others'.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = onnxruntime.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])
        feeds = {spec.name: np.asarray(value) for spec, value in zip(session.get_inputs(), arguments)}
        got = session.run(None, feeds)
    except Exception as e:  # noqa: BLE001 - ONNX Runtime refusing the export is a note too
        notes.append(f"onnxruntime: cannot run jax2onnx's export ({type(e).__name__}: {_first_line(e)})")
        return None
    want = jax.tree_util.tree_leaves(jax.jit(fn)(params, *inputs))
    if len(got) != len(want):
        notes.append(f"onnxruntime: left out, the export has {len(got)} results, the model {len(want)}")
        return None
    worst = max(float(np.max(np.abs(np.asarray(w) - g))) for w, g in zip(want, got))
    scale = max(float(np.max(np.abs(np.asarray(w)))) for w in want)
    if worst > 1e-3 * max(scale, 1.0):
        notes.append(f"onnxruntime: left out, its result differs from XLA's by {worst:.3g}")
        return None
    return lambda: session.run(None, feeds)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__
