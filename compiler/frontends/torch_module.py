"""PyTorch modules to StableHLO, through `torch.export` and torch-mlir.

    model = webtensor.compile(module.eval(), x)      # called as model(x)

A module's parameters and buffers are the model's weights, named as in its
`state_dict()` ("0.weight", "bn.running_mean"). The module is exported as a
function of (weights..., inputs...) with `torch.func.functional_call`, so
the weights are arguments of the program, bound as IREE parameters when it
compiles, never constants in the IR; the compiled model is called with the
inputs only, and `model.load_weights(module.state_dict())` swaps them.

torch-mlir's FX importer writes tensor literals the module creates itself
(`torch.tensor([...])` in `forward`) as `dense_resource` blobs: here they
are plain `dense` constants. Its StableHLO lowering leaves a few
`arith.constant`s and static "dynamic" ops: torch_mlir_output.py turns them
into the StableHLO the profile checks like any other.

torch and torch-mlir are an optional extra (`webtensor[torch]`).
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

import numpy as np

from ...runtime import dtypes
from ...runtime.errors import InvalidArgument
from ...runtime.signature import TensorSpec
from ...runtime.tree import LEAF, TreeSpec, flatten, spec_of
from ..diagnostics import CompileError
from . import EntryPointHint, ImportedModule, require_extra, torch_mlir_output

EXTRA = "torch"


def is_torch_module(source: Any) -> bool:
    """Whether `source` is a torch.nn.Module (without importing torch: if it
    was never imported, nothing can be one)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(source, torch.nn.Module)


def import_module(module: Any, example_args: tuple[Any, ...]) -> tuple[ImportedModule, dict[str, np.ndarray]]:
    """The program of `module` called on arguments like `example_args`, and
    its weights' values by name."""
    require_extra("torch_mlir", EXTRA, "a PyTorch module")
    import torch

    source_name = f"torch:{type(module).__name__}"
    if module.training:
        raise InvalidArgument(
            f"{source_name} is in training mode; call .eval() first "
            "(a compiled model runs inference: no dropout, batch norm with its running statistics)"
        )
    if not example_args:
        raise InvalidArgument(f"{source_name}: give example arguments, e.g. webtensor.compile(module, x)")
    inputs = tuple(_as_tensor(arg, i, source_name) for i, arg in enumerate(example_args))
    weights = _state(module)
    traced: list[TreeSpec] = []
    wrapper = _functional(module, tuple(weights), traced)
    try:
        exported = torch.export.export(wrapper, tuple(weights.values()) + inputs, strict=False)
    except Exception as e:  # export runs the user's forward: anything can come out
        raise CompileError(f"{source_name}: torch.export failed: {type(e).__name__}: {_first_line(e)}") from e
    text = _stablehlo(exported, source_name)
    weight_specs = tuple(_spec(name, value, source_name) for name, value in weights.items())
    input_specs = tuple(_spec(name, value, source_name) for name, value in zip(_input_names(module, len(inputs)), inputs))
    output_tree = traced[-1]
    output_specs = _outputs(exported, tuple(_leaf_paths(output_tree, "result")), source_name)
    hint = EntryPointHint(
        input_names=tuple(s.name for s in input_specs),
        output_names=tuple(s.name for s in output_specs),
        input_tree=TreeSpec("tuple", (LEAF,) * len(inputs)),
        output_tree=output_tree,
        arg_names=tuple(s.name for s in input_specs),
        input_types=input_specs,
        output_types=output_specs,
        weights=weight_specs,
        program_args=tuple(weights) + tuple(s.name for s in input_specs),
    )
    values = {name: _numpy(value) for name, value in weights.items()}
    return ImportedModule(text, source_name, hints={"main": hint}), values


def _state(module) -> dict[str, Any]:
    """Parameters and buffers by their state_dict names, in its order (tied
    parameters once, under their first name; buffers left out of the
    state_dict last)."""
    tensors = {name: p.detach() for name, p in module.named_parameters()}
    tensors.update((name, b.detach()) for name, b in module.named_buffers())
    order = [name for name in module.state_dict(keep_vars=True) if name in tensors]
    order += [name for name in tensors if name not in order]
    return {name: tensors[name] for name in order}


def _functional(module, names: tuple[str, ...], traced: list):
    """`module` as a function of its weights and inputs, returning its
    results flat, in the order of WebTensor's tree of them; the tree is
    appended to `traced` (export runs forward on a copy of the module, so
    the record is kept outside it)."""
    import torch

    class Functional(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = module

        def forward(self, *args):
            weights = dict(zip(names, args[: len(names)]))
            result = torch.func.functional_call(self.inner, weights, args[len(names) :])
            tree = spec_of(result, is_leaf=lambda v: isinstance(v, torch.Tensor))
            traced.append(tree)
            return tuple(flatten(tree, result))

    return Functional()


def _leaf_paths(tree: TreeSpec, path: str):
    if tree.kind == "leaf":
        yield path
        return
    keys = tree.keys if tree.kind == "dict" else range(len(tree.children))
    for key, child in zip(keys, tree.children):
        yield from _leaf_paths(child, f"{path}[{key!r}]")


def _stablehlo(exported, source_name: str) -> str:
    from torch_mlir import fx

    try:
        module = fx.export_and_import(exported, output_type="stablehlo", hooks=_literal_hooks(), func_name="main")
    except Exception as e:  # torch-mlir raises its own error types, and plain ones
        raise CompileError(f"{source_name}: torch-mlir could not lower the module to StableHLO: {torch_mlir_output.describe(e)}") from e
    torch_mlir_output.legalize(module, source_name)
    return module.operation.get_asm(enable_debug_info=True, large_elements_limit=None)


def _literal_hooks():
    """Hooks that write tensor literals as `dense` attributes, which any
    MLIR build reads, instead of torch-mlir's `dense_resource` blobs."""
    from torch_mlir import ir
    from torch_mlir.extras.fx_importer import FxImporterHooks

    class DenseLiterals(FxImporterHooks):
        def resolve_literal(self, gni, literal, info):
            import torch

            if not isinstance(literal, torch.Tensor):
                return None
            array = _numpy(literal)
            element = dtypes.by_dtype(array.dtype)
            if element is None:
                return None  # left to the importer; torch_mlir_output refuses what remains
            shape = ",".join(str(d) for d in array.shape)
            vtensor = ir.Type.parse(f"!torch.vtensor<[{shape}],{_torch_element(element.mlir)}>")
            raw = np.ascontiguousarray(array).view(_raw_view(array.dtype))
            value = ir.DenseElementsAttr.get(raw, type=ir.Type.parse(_torch_element(element.mlir)), shape=list(array.shape))
            return ir.Operation.create("torch.vtensor.literal", results=[vtensor], attributes={"value": value}).result

    return DenseLiterals()


def _torch_element(mlir: str) -> str:
    """torch-mlir spells a signed integer `si64` and a bool `i1`."""
    if mlir.startswith("i") and mlir != "i1":
        return "s" + mlir
    return mlir


def _raw_view(dtype: np.dtype) -> np.dtype:
    """A bfloat16 array as raw 16-bit words, which DenseElementsAttr reads."""
    return np.dtype(np.uint16) if dtype.name == "bfloat16" else dtype


def _outputs(exported, names: tuple[str, ...], source_name: str) -> tuple[TensorSpec, ...]:
    nodes = [node for node in exported.graph.nodes if node.op == "output"]
    values = [arg.meta.get("val") for arg in nodes[0].args[0]]
    if len(values) != len(names):
        raise CompileError(f"{source_name}: the module's results must be tensors in tuples, lists or dicts")
    return tuple(_spec(name, value, source_name) for name, value in zip(names, values))


def _input_names(module, count: int) -> list[str]:
    try:
        params = [
            p.name
            for p in inspect.signature(module.forward).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"arg{i}" for i in range(count)]


def _as_tensor(value: Any, index: int, source_name: str):
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    raise InvalidArgument(
        f"{source_name}: example argument {index} is a {type(value).__name__}; a PyTorch module takes tensors (or numpy arrays)"
    )


def _numpy(tensor) -> np.ndarray:
    import torch

    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        import ml_dtypes

        return tensor.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return tensor.numpy()


def _spec(name: str, value, source_name: str) -> TensorSpec:
    import torch

    dtype = _numpy(torch.empty(0, dtype=value.dtype)).dtype if value.dtype != torch.bool else np.dtype(bool)
    element = dtypes.by_dtype(dtype)
    if element is None:
        raise CompileError(f"{source_name}: {name} has dtype {value.dtype}, which a model cannot take or return")
    return TensorSpec(name, tuple(int(d) for d in value.shape), element.name)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def frontend_name() -> str:
    """For a package's manifest: who wrote the program."""
    import torch
    from importlib.metadata import version

    return f"torch {torch.__version__}, torch-mlir {version('torch-mlir')}"
