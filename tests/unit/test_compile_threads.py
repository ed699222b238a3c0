"""IREE compiles a small module on one thread and a large one on its thread
pool (compiler/backend.py, THREADS_FROM_OPS); the artifact is the same."""

from __future__ import annotations

from iree.compiler import ir

from webtensor.bench.models import MODELS
from webtensor.compiler import backend
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions


def _module_of(op_count: int) -> ir.Module:
    """A function of `op_count` ops in all: the function, its adds and its return."""
    adds = "\n".join(f"  %{i + 1} = stablehlo.add %{i}, %{i} : tensor<3xf32>" for i in range(op_count - 2))
    text = (
        "func.func @main(%0: tensor<3xf32>) -> tensor<3xf32> {\n"
        f"{adds}\n  return %{op_count - 2} : tensor<3xf32>\n}}\n"
    )
    with ir.Context() as context:
        context.allow_unregistered_dialects = True
        return ir.Module.parse(text)


def test_threads_start_at_the_op_count_the_backend_names():
    # The module op counts as one op.
    assert not backend.uses_threads(_module_of(backend.THREADS_FROM_OPS - 2))
    assert backend.uses_threads(_module_of(backend.THREADS_FROM_OPS - 1))
    assert backend.uses_threads(_module_of(10 * backend.THREADS_FROM_OPS))


def test_the_artifact_is_the_same_on_one_thread_and_on_the_pool(monkeypatch):
    model = MODELS["mlp"]
    imported = import_source(model.fn, model.example_args())
    options = CompileOptions(isolate=False)
    monkeypatch.setattr(backend, "THREADS_FROM_OPS", 1)
    threaded = compile_artifact(imported, options)
    monkeypatch.setattr(backend, "THREADS_FROM_OPS", 1 << 30)
    assert compile_artifact(imported, options) == threaded
