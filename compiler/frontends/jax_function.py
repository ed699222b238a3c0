"""JAX functions to StableHLO, through `jax.export`.

`jax.export` produces the portable, versioned form (a VHLO portable
artifact), the same bytes a model author would ship. Weights are ordinary
arguments: pass them in the example arguments (a dict of arrays is fine) and
they stay arguments; arrays the function closes over become constants.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from ...runtime.tree import TreeSpec, spec_of
from ..diagnostics import CompileError
from . import EntryPointHint, ImportedModule


def export_function(fn: Callable, example_args: tuple[Any, ...]) -> ImportedModule:
    import jax
    from jax import export as jax_export

    name = getattr(fn, "__name__", type(fn).__name__)
    source_name = f"jax:{name}"
    specs = jax.tree_util.tree_map(_shape_dtype_struct, example_args)
    try:
        exported = jax_export.export(jax.jit(fn))(*specs)
    except Exception as e:  # tracing runs user code: any exception can come out
        raise CompileError(f"{source_name}: jax.export failed: {type(e).__name__}: {e}") from e
    if exported.nr_devices != 1:
        raise CompileError(f"{source_name}: exported for {exported.nr_devices} devices; WebTensor runs single-device models")
    hint = EntryPointHint(
        input_names=tuple(_input_names(fn, example_args)),
        output_names=tuple(_output_names(exported)),
        input_tree=_args_tree(exported.in_tree, len(exported.in_avals), source_name),
        output_tree=_tree_of(exported.out_tree, len(exported.out_avals), source_name),
        arg_names=tuple(_param_names(fn, len(example_args))),
    )
    # Only the portable artifact crosses to the compiler worker; the user's
    # code ran here, in jax.export.
    return ImportedModule(exported.mlir_module_serialized, source_name, hints={"main": hint}, portable=True)


def portable_artifact(fn: Callable, example_args: tuple[Any, ...]) -> bytes:
    """The StableHLO portable artifact for `fn`, as a model author would ship it."""
    import jax
    from jax import export as jax_export

    specs = jax.tree_util.tree_map(_shape_dtype_struct, example_args)
    return jax_export.export(jax.jit(fn))(*specs).mlir_module_serialized


def _shape_dtype_struct(x: Any):
    import jax
    import numpy as np

    if isinstance(x, jax.ShapeDtypeStruct):
        return x
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return jax.ShapeDtypeStruct(tuple(x.shape), x.dtype)
    array = np.asarray(x)
    return jax.ShapeDtypeStruct(array.shape, jax.dtypes.canonicalize_dtype(array.dtype))


class _Leaf:
    pass


def _tree_of(treedef, num_leaves: int, source_name: str) -> TreeSpec:
    import jax

    structure = jax.tree_util.tree_unflatten(treedef, [_Leaf()] * num_leaves)
    try:
        return spec_of(structure, is_leaf=lambda v: isinstance(v, _Leaf))
    except TypeError as e:
        raise CompileError(f"{source_name}: {e}") from None


def _args_tree(in_tree, num_leaves: int, source_name: str) -> TreeSpec:
    # jax.export's in_tree is ((positional args...), {keyword args}).
    full = _tree_of(in_tree, num_leaves, source_name)
    args, kwargs = full.children
    if kwargs.children:
        raise CompileError(f"{source_name}: keyword arguments are not supported; pass them positionally")
    return TreeSpec("tuple", args.children)


def _param_names(fn: Callable, count: int) -> list[str]:
    try:
        params = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"arg{i}" for i in range(count)]


def _input_names(fn: Callable, example_args: tuple[Any, ...]) -> list[str]:
    import jax

    names = []
    for param, arg in zip(_param_names(fn, len(example_args)), example_args):
        for path, _ in jax.tree_util.tree_flatten_with_path(arg)[0]:
            names.append(param + jax.tree_util.keystr(path))
    return names


def _output_names(exported) -> list[str]:
    import jax

    structure = jax.tree_util.tree_unflatten(exported.out_tree, [_Leaf()] * len(exported.out_avals))
    paths = jax.tree_util.tree_flatten_with_path(structure, is_leaf=lambda v: isinstance(v, _Leaf))[0]
    return ["result" + jax.tree_util.keystr(path) for path, _ in paths]
