"""The bench's ONNX Runtime peers: exported by jax2onnx from the zoo's own
JAX functions, checked against jax.jit before they are timed."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="the 'bench' extra is not installed: pip install -e '.[bench]'")
pytest.importorskip("jax2onnx", reason="the 'bench' extra is not installed: pip install -e '.[bench]'")

from webtensor.bench import onnx_models, zoo  # noqa: E402


def test_a_cnn_exports_with_its_pools_in_two_dimensions():
    graph, arguments, fn, params, inputs = onnx_models.export(zoo.BY_NAME["test_cnn"])
    pools = [n for n in graph.graph.node if n.op_type == "MaxPool"]
    assert pools and all(len(next(a for a in n.attribute if a.name == "kernel_shape").ints) == 2 for n in pools)
    # The weights are initializers, not inputs: the graph takes the image only.
    assert [i.name for i in graph.graph.input] == ["in_0"]
    notes = []
    call = onnx_models.session_call(zoo.BY_NAME["test_cnn"], notes)
    assert call is not None and notes == []
    import jax

    np.testing.assert_allclose(call()[0], np.asarray(jax.jit(fn)(params, *inputs)), rtol=1e-4, atol=1e-5)


def test_a_model_the_exporter_cannot_take_is_left_out_with_a_note():
    notes = []
    assert onnx_models.session_call(zoo.BY_NAME["test_control_flow"], notes) is None
    assert len(notes) == 1 and notes[0].startswith("onnxruntime: jax2onnx cannot export this model (")
