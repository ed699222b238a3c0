"""ONNX files to StableHLO, through torch-mlir's ONNX importer.

    model = webtensor.compile("model.onnx")          # or webtensor-compile model.onnx

The file's floating-point initializers (but scalars; float16 and bfloat16
ones and Constant nodes of them, always) are the model's weights, named as in the file: they become arguments of the program, bound
as IREE parameters when it compiles, never constants in the IR. Integer and
boolean initializers (shapes, axes, indices) and scalars stay constants,
since the importer needs their values to know the shapes they make. Those
constants are handed to the importer as typed values, so that it writes
them as `dense` attributes rather than `dense_resource` blobs.

The importer (`torch-mlir-import-onnx`'s Python form) and torch-mlir's
`torch-onnx-to-torch-backend-pipeline,torch-backend-to-stablehlo-backend-pipeline`
run in a child process with limits on its time, CPU time and address
space: they were not written for hostile graphs, and a crash or running
out of a limit there is a CompileError here. Only onnx's
protobuf reader and shape inference run in this process. The StableHLO
then goes through the compiler worker as any other. onnx and torch-mlir
are an optional extra (`webtensor[onnx]`).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import numpy as np

from ...runtime import dtypes
from ...runtime.signature import TensorSpec
from ...runtime.tree import LEAF, TreeSpec
from ..diagnostics import CompileError
from . import EntryPointHint, ImportedModule, require_extra, torch_mlir_output

EXTRA = "onnx"
SUFFIX = ".onnx"
PIPELINE = "builtin.module(torch-onnx-to-torch-backend-pipeline,torch-backend-to-stablehlo-backend-pipeline)"
ENTRY = "main"
LOWER_SECONDS = 300.0
# The lowering child's address space and CPU time (RLIMIT_AS, RLIMIT_CPU),
# as the compiler worker's: lowering ONNX's node tests peaked at 0.6 GiB of
# address space (0.2 GiB resident), weights lifted out of the graph first.
LOWER_MEMORY_BYTES = 8 << 30
LOWER_CPU_SECONDS = 4 * int(LOWER_SECONDS)
# What a child out of address space writes: Python's MemoryError, C++'s
# bad_alloc, the dynamic loader failing to map torch-mlir's libraries.
_OUT_OF_MEMORY = (b"MemoryError", b"std::bad_alloc", b"failed to map segment", b"Cannot allocate memory")
# TensorProto.FLOAT16, BFLOAT16: element types the importer writes only as
# dense_resource blobs, whatever their size.
_NOT_INLINED = (10, 16)


def is_onnx(source: Any) -> bool:
    """A path (str or PathLike) that names an ONNX file by its suffix."""
    if isinstance(source, str) and "\n" in source:
        return False
    return isinstance(source, (str, os.PathLike)) and os.fspath(source).endswith(SUFFIX)


def import_file(path: str | os.PathLike) -> tuple[ImportedModule, dict[str, np.ndarray]]:
    """The program of the ONNX file at `path`, and its weights' values by name."""
    require_extra("onnx", EXTRA, "an ONNX file")
    require_extra("torch_mlir", EXTRA, "an ONNX file")
    import onnx

    path = os.fspath(path)
    try:
        model = onnx.load(path)
    except FileNotFoundError:
        raise CompileError(f"{path}: no such file") from None
    except Exception as e:  # protobuf's DecodeError, and OSError
        raise CompileError(f"{path}: not a readable ONNX model: {type(e).__name__}: {e}") from None
    return import_model(model, path, path)


def import_model(model, source_name: str, path: str | None = None) -> tuple[ImportedModule, dict[str, np.ndarray]]:
    """An onnx.ModelProto's program, and its weights by name."""
    import onnx

    try:
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception as e:  # onnx raises its own errors for malformed graphs
        raise CompileError(f"{source_name}: ONNX shape inference failed: {_first_line(e)}") from None
    weights = _lift_weights(model)
    _inline_typed(model)
    inputs = [v.name for v in model.graph.input if v.name not in weights]
    outputs = [v.name for v in model.graph.output]
    text, arguments, results = _lower_in_child(model, source_name)
    roles = inputs + list(weights)
    if len(arguments) != len(roles) or len(results) != len(outputs):
        raise CompileError(f"{source_name}: the lowered program's function type disagrees with the ONNX graph's inputs and outputs")
    input_specs = tuple(_spec(name, t, source_name) for name, t in zip(inputs, arguments))
    weight_specs = tuple(_spec(name, t, source_name) for name, t in zip(weights, arguments[len(inputs) :]))
    output_specs = tuple(_spec(name, t, source_name) for name, t in zip(outputs, results))
    hint = EntryPointHint(
        input_names=tuple(inputs),
        output_names=tuple(outputs),
        input_tree=TreeSpec("tuple", (LEAF,) * len(inputs)),
        output_tree=LEAF if len(outputs) == 1 else TreeSpec("tuple", (LEAF,) * len(outputs)),
        arg_names=tuple(inputs),
        input_types=input_specs,
        output_types=output_specs,
        weights=weight_specs,
        program_args=tuple(roles),
    )
    return ImportedModule(text, source_name, path=None, hints={ENTRY: hint}), weights


def _lift_weights(model) -> dict[str, np.ndarray]:
    """Floating-point initializers of more than one element leave the graph's
    constants and become inputs after its own, in the file's order."""
    from onnx import numpy_helper

    _constants_to_initializers(model)
    declared = {v.name for v in model.graph.input}
    kept, weights = [], {}
    for initializer in model.graph.initializer:
        array = numpy_helper.to_array(initializer)
        if not _is_weight(initializer, array):
            kept.append(initializer)
            continue
        weights[initializer.name] = array
        if initializer.name not in declared:
            model.graph.input.append(_value_info(initializer))
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    # Graph inputs that an initializer fills (a default value) are weights too:
    # move them after the real inputs, in the order of `weights`.
    inputs = [v for v in model.graph.input if v.name not in weights]
    lifted = {v.name: v for v in model.graph.input if v.name in weights}
    del model.graph.input[:]
    model.graph.input.extend(inputs + [lifted[name] for name in weights])
    return weights


def _is_weight(initializer, array: np.ndarray) -> bool:
    return initializer.data_type in _NOT_INLINED or (array.dtype.kind in "fc" and array.size > 1)


def _constants_to_initializers(model) -> None:
    """Constant nodes of the main graph whose values the importer can only
    write as dense_resource (float16, bfloat16) become initializers, so
    weights."""
    import onnx

    kept = []
    for node in model.graph.node:
        attribute = node.attribute[0] if node.op_type == "Constant" and len(node.attribute) == 1 else None
        if attribute is None or attribute.name != "value" or attribute.t.data_type not in _NOT_INLINED:
            kept.append(node)
            continue
        tensor = onnx.TensorProto()
        tensor.CopyFrom(attribute.t)
        tensor.name = node.output[0]
        model.graph.initializer.append(tensor)
    del model.graph.node[:]
    model.graph.node.extend(kept)


def _value_info(initializer):
    from onnx import helper

    return helper.make_tensor_value_info(initializer.name, initializer.data_type, list(initializer.dims))


def _inline_typed(model) -> None:
    """Initializers and Constant values as typed fields instead of raw bytes,
    which the importer writes as `dense` rather than `dense_resource`."""
    import onnx

    for initializer in model.graph.initializer:
        _retype(initializer)
    for graph in _graphs(model.graph):
        for node in graph.node:
            for attribute in node.attribute:
                if attribute.type == onnx.AttributeProto.TENSOR:
                    _retype(attribute.t)


def _graphs(graph):
    import onnx

    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield from _graphs(attribute.g)
            for sub in attribute.graphs:
                yield from _graphs(sub)


def _retype(tensor) -> None:
    """Rewrites `tensor` in place with typed fields, where its type has them."""
    from onnx import helper, numpy_helper

    if not tensor.HasField("raw_data"):
        return
    array = numpy_helper.to_array(tensor)
    if array.dtype.kind not in "biuf" or array.dtype.itemsize > 8 or array.dtype == np.float16:
        return
    typed = helper.make_tensor(tensor.name, tensor.data_type, list(tensor.dims), array.flatten().tolist())
    tensor.CopyFrom(typed)


def _stablehlo(model, source_name: str):
    from torch_mlir import ir
    from torch_mlir.dialects import torch as torch_d
    from torch_mlir.extras import onnx_importer
    from torch_mlir.passmanager import PassManager

    context = ir.Context()
    torch_d.register_dialect(context)
    try:
        info = onnx_importer.ModelInfo(model)
        module = info.create_module(context=context)
        onnx_importer.NodeImporter.define_function(info.main_graph, module.operation).import_all()
    except Exception as e:  # the importer raises OnnxImportError and plain errors
        raise CompileError(f"{source_name}: torch-mlir's ONNX importer failed: {torch_mlir_output.describe(e)}") from None
    with context:
        try:
            PassManager.parse(PIPELINE).run(module.operation)
        except Exception as e:  # MLIRError with the diagnostics
            raise CompileError(f"{source_name}: torch-mlir could not lower the ONNX graph to StableHLO: {torch_mlir_output.describe(e)}") from None
    _rename_entry(module, source_name)
    torch_mlir_output.legalize(module, source_name)
    return module


def _rename_entry(module, source_name: str) -> None:
    from torch_mlir import ir

    functions = [op for op in module.body.operations if op.operation.name == "func.func"]
    if len(functions) != 1:
        raise CompileError(f"{source_name}: the lowered ONNX graph has {len(functions)} functions, not one")
    function = functions[0].operation
    function.attributes["sym_name"] = ir.StringAttr.get(ENTRY, context=module.context)


def _function_types(module) -> tuple[list, list]:
    """The entry's argument and result types as (MLIR element type, shape)
    pairs, a dynamic dim as None."""
    from torch_mlir import ir

    function = next(op for op in module.body.operations if op.operation.name == "func.func").operation
    ftype = ir.FunctionType(ir.TypeAttr(function.attributes["function_type"]).value)

    def pair(mlir_type):
        tensor = ir.RankedTensorType(mlir_type)
        shape = [None if tensor.is_dynamic_dim(i) else tensor.get_dim_size(i) for i in range(tensor.rank)]
        return [str(tensor.element_type), shape]

    return [pair(t) for t in ftype.inputs], [pair(t) for t in ftype.results]


def _spec(name: str, pair, source_name: str) -> TensorSpec:
    element_type, shape = pair
    element = dtypes.BY_MLIR.get(element_type)
    if element is None:
        raise CompileError(f"{source_name}: {name} has element type {element_type}, which a model cannot take or return")
    return TensorSpec(name, tuple(shape), element.name)


def _lower_in_child(model, source_name: str) -> tuple[str, list, list]:
    """StableHLO text and the entry's types, from a child process: torch-mlir
    was not written for hostile graphs (a uint8 MaxPool crashes its
    pipeline), so that a crash or a hang there is a CompileError here."""
    import subprocess
    import sys

    limits = f"{LOWER_MEMORY_BYTES}, {LOWER_CPU_SECONDS}"
    command = [sys.executable, "-c", f"import sys; from {__name__} import _child; sys.exit(_child({limits}))"]
    try:
        done = subprocess.run(command, input=model.SerializeToString(), capture_output=True, timeout=LOWER_SECONDS)
    except subprocess.TimeoutExpired:
        raise CompileError(f"{source_name}: torch-mlir ran past {LOWER_SECONDS:g} s lowering the ONNX graph") from None
    if done.returncode != 0 and any(word in done.stderr for word in _OUT_OF_MEMORY):
        raise CompileError(
            f"{source_name}: torch-mlir ran out of its {LOWER_MEMORY_BYTES / (1 << 30):g} GiB of address space lowering the ONNX graph"
        )
    if done.returncode == -signal.SIGXCPU:
        raise CompileError(f"{source_name}: torch-mlir ran past its {LOWER_CPU_SECONDS} s of CPU time lowering the ONNX graph")
    if done.returncode != 0:
        if done.returncode < 0:
            raise CompileError(f"{source_name}: torch-mlir crashed lowering the ONNX graph (signal {-done.returncode})")
        last = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise CompileError(f"{source_name}: lowering the ONNX graph failed (exit status {done.returncode}): {last[0][:300]}")
    try:
        reply = json.loads(done.stdout)
    except ValueError:
        raise CompileError(f"{source_name}: lowering the ONNX graph gave no program (its process wrote {len(done.stdout)} bytes that are not the expected reply)") from None
    if "error" in reply:
        raise CompileError(f"{source_name}: {reply['error']}")
    return reply["text"], reply["arguments"], reply["results"]


def _child(memory_bytes: int, cpu_seconds: int) -> int:
    """The child's side: an ONNX model on stdin, JSON on stdout. It limits
    itself before it reads the model or loads torch-mlir."""
    import resource

    for kind, soft, hard in (
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_AS, memory_bytes, memory_bytes),
        (resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 5),
    ):
        ceiling = resource.getrlimit(kind)[1]
        if ceiling != resource.RLIM_INFINITY:
            soft, hard = min(soft, ceiling), min(hard, ceiling)
        resource.setrlimit(kind, (soft, hard))
    import onnx

    model = onnx.load_from_string(sys.stdin.buffer.read())
    try:
        module = _stablehlo(model, "")
    except CompileError as e:
        json.dump({"error": str(e).lstrip(": ")}, sys.stdout)
        return 0
    arguments, results = _function_types(module)
    text = module.operation.get_asm(enable_debug_info=True, large_elements_limit=None)
    json.dump({"text": text, "arguments": arguments, "results": results}, sys.stdout)
    return 0


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__



def frontend_name() -> str:
    """For a package's manifest: who wrote the program."""
    import onnx
    from importlib.metadata import version

    return f"onnx {onnx.__version__}, torch-mlir {version('torch-mlir')}"

