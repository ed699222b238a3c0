"""JAX functions to StableHLO, through `jax.export`.

`jax.export` produces the portable, versioned form (a VHLO portable
artifact), the same bytes a model author would ship. It sees only shapes and
dtypes (`jax.ShapeDtypeStruct`s), never the example arrays, so the program
never holds weight values.

Weights are the arguments named by `weights_argnums` (as in `jax.jit`'s
`static_argnums`: an int or a tuple of them). They stay arguments of the
exported program and become bound parameters when it is compiled; the
compiled model is called without them. Arrays the function closes over of at
least HOISTED_CONSTANT_BYTES become weights too (named `constants[i]`), so
that they are neither baked into the program nor hashed into the cache key;
smaller ones stay constants.
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Any, Callable

import numpy as np

from ...runtime.errors import InvalidArgument
from ...runtime.signature import TensorSpec
from ...runtime.tree import TreeSpec, spec_of
from ..diagnostics import CompileError
from . import EntryPointHint, ImportedModule, jax_ops

# Closed-over arrays at least this large become weights (64 KiB: a 128x128
# f32 matrix). Smaller ones stay constants, which IREE may fold.
HOISTED_CONSTANT_BYTES = 64 << 10
CONSTANTS_ARG = "constants"


def export_function(
    fn: Callable,
    example_args: tuple[Any, ...],
    weights_argnums: int | tuple[int, ...] = (),
    hoist_constants: bool = True,
    static_argnums: int | tuple[int, ...] = (),
    static_argnames: str | tuple[str, ...] = (),
) -> tuple[ImportedModule, dict[str, Any]]:
    """The exported program, and the values of its weights by name (empty
    if the weight arguments were given as jax.ShapeDtypeStruct).

    `static_argnums` and `static_argnames` name arguments as jax.jit's do:
    their example values (ints, shapes, flags) are fixed when the program
    is traced, and they are not inputs of the compiled model."""
    import jax
    from jax import export as jax_export

    name = getattr(fn, "__name__", type(fn).__name__)
    source_name = f"jax:{name}"
    arg_names = _param_names(fn, len(example_args))
    argnums = _argnums(weights_argnums, len(example_args), source_name)
    static = _static_positions(static_argnums, static_argnames, arg_names, source_name)
    if static & set(argnums):
        raise InvalidArgument(f"{source_name}: an argument cannot be both static and a weight: {sorted(static & set(argnums))}")
    if static:
        fn, example_args, argnums, arg_names = _bind_static(fn, example_args, static, argnums, arg_names)
    with _precision_of(example_args), _without_shardy():
        specs = jax.tree_util.tree_map(_shape_dtype_struct, example_args)
        if hoist_constants:
            fn, example_args, specs, argnums, arg_names = _hoist_constants(fn, example_args, specs, argnums, arg_names, source_name)
        try:
            exported = jax_export.export(jax.jit(fn))(*specs)
        except Exception as e:  # tracing runs user code: any exception can come out
            raise CompileError(f"{source_name}: jax.export failed: {type(e).__name__}: {e}{_static_hint(example_args, arg_names)}") from e
    if exported.nr_devices != 1:
        raise CompileError(f"{source_name}: exported for {exported.nr_devices} devices; WebTensor runs single-device models")
    jax_ops.check(exported, source_name)
    hint, weight_values = _hint(exported, example_args, argnums, arg_names, source_name)
    # Only the portable artifact crosses to the compiler worker; the user's
    # code ran here, in jax.export.
    imported = ImportedModule(exported.mlir_module_serialized, source_name, hints={"main": hint}, portable=True)
    return imported, weight_values


def _argnums(
    weights_argnums: int | tuple[int, ...], count: int, source_name: str, keyword: str = "weights_argnums"
) -> tuple[int, ...]:
    numbers = (weights_argnums,) if isinstance(weights_argnums, int) else tuple(weights_argnums)
    for number in numbers:
        if isinstance(number, bool) or not isinstance(number, int) or not -count <= number < count:
            raise InvalidArgument(f"{source_name}: {keyword}={weights_argnums!r}: the function has {count} example arguments")
    normalized = tuple(sorted(n % count for n in numbers))
    if len(set(normalized)) != len(normalized):
        raise InvalidArgument(f"{source_name}: {keyword}={weights_argnums!r} names an argument twice")
    return normalized


def _precision_of(example_args):
    """JAX's 64-bit mode for this export if an example array is float64 or
    complex128.

    JAX turns them into float32 and complex64 unless x64 is on, so a model
    compiled from float64 arrays would take float32 and refuse the very
    arrays it was compiled with. Who passes float64 arrays asked for float64
    arithmetic: that is what jax.jit computes with x64 on, and what is
    compiled (IREE keeps f64; see backend.py). Only this export is affected,
    never the user's global setting. int64 alone does not turn it on: numpy
    makes int64 by default (np.arange), and x64 would make every jnp.zeros
    in such a model float64."""
    import jax

    wide = any(
        np.dtype(leaf.dtype) in (np.dtype(np.float64), np.dtype(np.complex128))
        for leaf in jax.tree_util.tree_leaves(example_args)
        if hasattr(leaf, "dtype")
    )
    return jax.enable_x64(True) if wide else contextlib.nullcontext()


def _without_shardy():
    """Exports without Shardy: with it, jax.export annotates some ops (the
    LAPACK custom calls of cholesky, for one) with `sdy.*` attributes, and a
    portable artifact holding them cannot be read without Shardy's dialect.
    The error would name `sdy` instead of the op the profile leaves out.
    A single-device model has no sharding to lose."""
    from jax._src import config

    state = getattr(config, "use_shardy_partitioner", None)
    return state(False) if state is not None else contextlib.nullcontext()


def _static_positions(static_argnums, static_argnames, arg_names: list[str], source_name: str) -> set[int]:
    """The positions of the static arguments, named by number or by name."""
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames or ())
    unknown = [n for n in names if n not in arg_names]
    if unknown:
        raise InvalidArgument(
            f"{source_name}: static_argnames={static_argnames!r}: no positional argument "
            f"named {', '.join(map(repr, unknown))}; the arguments are {', '.join(arg_names) or 'none'}"
        )
    numbers = _argnums(static_argnums, len(arg_names), source_name, "static_argnums") if static_argnums not in ((), None) else ()
    return set(numbers) | {arg_names.index(n) for n in names}


def _static_hint(example_args, arg_names: list[str]) -> str:
    """What to try when tracing fails and some arguments are plain Python
    values: as jax.jit, export traces them as arrays, and a count or a shape
    that is an array is an error (`jnp.tile(x, n)`: "not hashable")."""
    plain = [i for i, arg in enumerate(example_args) if isinstance(arg, (bool, int, str, tuple)) or arg is None]
    if not plain:
        return ""
    names = ", ".join(arg_names[i] for i in plain)
    numbers = plain[0] if len(plain) == 1 else tuple(plain)
    verb = "sets" if len(plain) == 1 else "set"
    return f"\nnote: if {names} {verb} a shape or a count, pass static_argnums={numbers!r}, as to jax.jit"


def _bind_static(fn, example_args, static: set[int], argnums, arg_names):
    """fn of the other arguments, with the static ones fixed to their example
    values (closed over, so they need not be hashable as jax.jit needs)."""
    count = len(example_args)
    values = {i: example_args[i] for i in static}

    def bound(*args):
        rest = iter(args)
        return fn(*(values[i] if i in values else next(rest) for i in range(count)))

    bound.__name__ = getattr(fn, "__name__", "bound")
    kept = [i for i in range(count) if i not in static]
    return (
        bound,
        tuple(example_args[i] for i in kept),
        tuple(kept.index(n) for n in argnums),
        [arg_names[i] for i in kept],
    )


def _hoist_constants(fn, example_args, specs, argnums, arg_names, source_name):
    """Arrays the function closes over, of at least HOISTED_CONSTANT_BYTES,
    as one more weight argument (the first): a function of (constants, *args)
    that evaluates fn's traced program with them."""
    import jax

    try:
        closed, out_shape = jax.make_jaxpr(fn, return_shape=True)(*specs)
    except Exception as e:  # tracing runs user code
        raise CompileError(f"{source_name}: jax.export failed: {type(e).__name__}: {e}{_static_hint(example_args, arg_names)}") from e
    consts = list(closed.consts)
    hoisted = [i for i, c in enumerate(consts) if np.asarray(c).nbytes >= HOISTED_CONSTANT_BYTES]
    if not hoisted:
        return fn, example_args, specs, argnums, arg_names
    out_tree = jax.tree_util.tree_structure(out_shape)
    jaxpr = closed.jaxpr

    def lifted(constants, *args):
        values = list(consts)
        for i, value in zip(hoisted, constants):
            values[i] = value
        results = jax.core.eval_jaxpr(jaxpr, values, *jax.tree_util.tree_leaves(args))
        return jax.tree_util.tree_unflatten(out_tree, results)

    lifted.__name__ = getattr(fn, "__name__", "lifted")
    constants = [np.asarray(consts[i]) for i in hoisted]
    constants_name = CONSTANTS_ARG if CONSTANTS_ARG not in arg_names else f"{CONSTANTS_ARG}_"
    return (
        lifted,
        (constants, *example_args),
        ([_shape_dtype_struct(c) for c in constants], *specs),
        (0,) + tuple(n + 1 for n in argnums),
        [constants_name, *arg_names],
    )


def _hint(exported, example_args, argnums, arg_names, source_name) -> tuple[EntryPointHint, dict[str, Any]]:
    import jax

    full = _tree_of(exported.in_tree, len(exported.in_avals), source_name)
    args_tree, kwargs_tree = full.children
    if kwargs_tree.children:
        raise CompileError(f"{source_name}: keyword arguments are not supported; pass them positionally")
    leaf_names, leaf_args, leaf_values = [], [], []
    for position, (arg_name, arg) in enumerate(zip(arg_names, example_args)):
        for path, value in jax.tree_util.tree_flatten_with_path(arg)[0]:
            leaf_names.append(arg_name + jax.tree_util.keystr(path))
            leaf_args.append(position)
            leaf_values.append(value)
    leaf_types = [TensorSpec(n, _shape(a), _dtype_name(a, source_name)) for n, a in zip(leaf_names, exported.in_avals)]
    is_weight = [position in argnums for position in leaf_args]
    inputs = [t for t, w in zip(leaf_types, is_weight) if not w]
    weights = [t for t, w in zip(leaf_types, is_weight) if w]
    outputs = [
        TensorSpec(n, _shape(a), _dtype_name(a, source_name))
        for n, a in zip(_output_names(exported), exported.out_avals)
    ]
    call_args = [child for i, child in enumerate(args_tree.children) if i not in argnums]
    weight_args = [child for i, child in enumerate(args_tree.children) if i in argnums]
    hint = EntryPointHint(
        input_names=tuple(t.name for t in inputs),
        output_names=tuple(t.name for t in outputs),
        input_tree=TreeSpec("tuple", tuple(call_args)),
        output_tree=_tree_of(exported.out_tree, len(exported.out_avals), source_name),
        arg_names=tuple(n for i, n in enumerate(arg_names) if i not in argnums),
        input_types=tuple(inputs),
        output_types=tuple(outputs),
        weights=tuple(weights),
        weights_tree=TreeSpec("tuple", tuple(weight_args)) if argnums else None,
        # jax.export leaves out the arguments the function never reads.
        program_args=tuple(leaf_names[i] for i in exported.module_kept_var_idx),
    )
    values = {t.name: v for t, v, w in zip(leaf_types, leaf_values, is_weight) if w and not _is_abstract(v)}
    given = sum(1 for position in leaf_args if position in argnums)
    if values and len(values) != given:
        raise InvalidArgument(
            f"{source_name}: the weight arguments mix arrays and jax.ShapeDtypeStruct; give all "
            "their values (to bind them now) or none (to bind them later with model.load_weights)"
        )
    return hint, values


def _is_abstract(value: Any) -> bool:
    import jax

    return isinstance(value, jax.ShapeDtypeStruct)


def _shape(aval) -> tuple[int | None, ...]:
    return tuple(d if isinstance(d, int) else None for d in aval.shape)


def _dtype_name(aval, source_name: str) -> str:
    from ...runtime import dtypes

    element = dtypes.by_dtype(np.dtype(aval.dtype))
    if element is None:
        raise CompileError(f"{source_name}: arrays of dtype {aval.dtype} cannot be passed to or from a model")
    return element.name


def portable_artifact(fn: Callable, example_args: tuple[Any, ...]) -> bytes:
    """The StableHLO portable artifact for `fn`, as a model author would ship it."""
    import jax
    from jax import export as jax_export

    specs = jax.tree_util.tree_map(_shape_dtype_struct, example_args)
    return jax_export.export(jax.jit(fn))(*specs).mlir_module_serialized


def _shape_dtype_struct(x: Any):
    import jax

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


def _output_names(exported) -> list[str]:
    import jax

    structure = jax.tree_util.tree_unflatten(exported.out_tree, [_Leaf()] * len(exported.out_avals))
    paths = jax.tree_util.tree_flatten_with_path(structure, is_leaf=lambda v: isinstance(v, _Leaf))[0]
    return ["result" + jax.tree_util.keystr(path) for path, _ in paths]
