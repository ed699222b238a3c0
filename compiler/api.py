"""The Python door: `webtensor.compile(...)`.

    model = webtensor.compile(fn, params, x)       # a JAX function + example args
    model = webtensor.compile("model.mlir")        # a path, text, or bytes
    y = model(params, x)
    model.save("model.vmfb"); webtensor.load("model.vmfb")(params, x)

The model's StableHLO is parsed and compiled in a worker process with memory
and time limits (compiler/worker.py), so that hostile input cannot crash or
hang this one; a JAX function is exported here first, since that runs the
user's own code. Artifacts are cached by content (compiler/artifact_key.py): a
model compiled before, for the same target and policy, loads without a
compile.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable

from ..runtime import artifact_cache
from ..runtime.errors import InvalidArgumentType, WebTensorError
from ..runtime.signature import TensorSpec, describe_value
from ..runtime import package as package_format
from ..runtime.limits import DEFAULT_FUEL
from ..runtime.weights import file_tensor_specs, read_arrays
from . import gate, progress, reproducers, worker
from .artifact_key import CacheSetting, cache_key, describe, open_cache
from .diagnostics import CompileError
from .frontends import ImportedModule, jax_function, stablehlo_file
from .frontends import onnx_file, torch_module  # issue 14: the PyTorch and ONNX doors
from .options import CompileOptions, Phase, command_line
from .phases import Compilation, compile_in_process

if TYPE_CHECKING:  # imported where used: webtensor-compile writes bytes without the runtime's IREE
    from ..runtime.artifact import Artifact
    from ..runtime.model import Model

Source = Callable | str | bytes | os.PathLike


def import_source(source: Source, example_args: tuple[Any, ...] = (), weights_argnums: int | tuple[int, ...] = ()) -> ImportedModule:
    """The program to compile (see import_model)."""
    return import_model(source, example_args, weights_argnums)[0]


def import_model(
    source: Source,
    example_args: tuple[Any, ...] = (),
    weights_argnums: int | tuple[int, ...] = (),
    weights: Any = None,
    hoist_constants: bool = True,
    static_argnums: int | tuple[int, ...] = (),
    static_argnames: str | tuple[str, ...] = (),
) -> tuple[ImportedModule, Any]:
    """The program to compile, and the weights to bind to it (None if none).

    A JAX function is exported with its `weights_argnums` arguments (and
    large closed-over arrays) as weights; their values, if the example
    arguments hold them, are the weights to bind unless `weights` is given.
    StableHLO's weights are its arguments named as the tensors of
    `weights` (a file or a mapping of name to array). `hoist_constants=False`
    keeps closed-over arrays in the program as constants. `static_argnums`
    and `static_argnames` are jax.jit's: fixed at export, not model inputs.
    A PyTorch module's weights are its parameters and buffers."""
    # --- PyTorch and ONNX frontends (issue 14) ---
    if torch_module.is_torch_module(source):
        if weights_argnums not in ((), None) or static_argnums not in ((), None) or static_argnames not in ((), None):
            raise InvalidArgumentType("weights_argnums and static_argnums are for JAX functions; a PyTorch module's weights are its parameters and buffers")
        with progress.phase("export"):
            imported, values = torch_module.import_module(source, example_args)
        return imported, weights if weights is not None else (values or None)
    if onnx_file.is_onnx(source):
        if example_args or weights_argnums not in ((), None) or static_argnums not in ((), None) or static_argnames not in ((), None):
            raise InvalidArgumentType("an ONNX file carries its types and weights: give no example arguments")
        with progress.phase("export"):
            imported, values = onnx_file.import_file(source)
        return imported, weights if weights is not None else (values or None)
    # --- end PyTorch and ONNX ---
    if callable(source):
        with progress.phase("export"):
            imported, values = jax_function.export_function(
                source, example_args, weights_argnums, hoist_constants, static_argnums, static_argnames
            )
        return imported, weights if weights is not None else (values or None)
    if static_argnums not in ((), None) or static_argnames not in ((), None):
        raise InvalidArgumentType("static_argnums and static_argnames are only for JAX functions")
    if example_args:
        raise InvalidArgumentType("example arguments are only for JAX functions; StableHLO sources carry their types")
    if weights_argnums not in ((), None):
        raise InvalidArgumentType("weights_argnums is only for JAX functions; give StableHLO's weights with weights=FILE")
    if package_format.is_package(source):
        from .frontends.package import imported_from

        if not isinstance(source, (str, os.PathLike)):
            raise TypeError("give a package by its path: its weights are mapped from the file")
        package = package_format.Package.open(source)
        if weights is None and package.weights:
            weights = package
        return imported_from(package), weights
    imported = stablehlo_file.load_any(source)
    if weights is not None:
        imported = dataclasses.replace(imported, named_weights=weight_specs(weights))
    return imported, weights


def weight_specs(weights: Any) -> tuple[TensorSpec, ...]:
    """Names, shapes and dtypes of a weights file's tensors or of named arrays."""
    if isinstance(weights, (str, os.PathLike)):
        return tuple(file_tensor_specs(os.fspath(weights)))
    if not isinstance(weights, Mapping):
        raise TypeError("weights= takes a weights file or a mapping of argument name to array for StableHLO input")
    specs = []
    for name, value in weights.items():
        shape, dtype = describe_value(value)
        specs.append(TensorSpec(str(name), shape, dtype))
    return tuple(specs)


def make_options(options: CompileOptions | None, overrides: dict[str, Any]) -> CompileOptions:
    options = options or CompileOptions()
    if not overrides:
        return options
    import dataclasses

    valid = {f.name for f in dataclasses.fields(CompileOptions)}
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise InvalidArgumentType(f"unknown compile option(s) {unknown}; valid: {sorted(valid)}")
    return dataclasses.replace(options, **overrides)


def compile_artifact(imported: ImportedModule, options: CompileOptions) -> bytes:
    """StableHLO to VM flatbuffer bytes; a failure saves a reproducer."""
    return run_phases(imported, options, Phase.VMFB)


def load_or_compile(imported: ImportedModule, options: CompileOptions, cache: artifact_cache.ArtifactCache | None) -> Artifact:
    """The artifact from `cache` if an intact entry is there that loads,
    else compiled (isolated, as options say) and stored. A cache that
    cannot be read or written is a warning, never a failed compile."""
    from ..runtime.artifact import Artifact

    return _cached(imported, options, cache, Artifact.from_bytes)


def artifact_bytes(imported: ImportedModule, options: CompileOptions, cache: artifact_cache.ArtifactCache | None) -> bytes:
    """load_or_compile's bytes, not loaded here: what webtensor-compile
    writes, which starts without the runtime's IREE."""
    return _cached(imported, options, cache, lambda data: data)


def _cached(imported: ImportedModule, options: CompileOptions, cache: artifact_cache.ArtifactCache | None, load: Callable[[bytes], Any]) -> Any:
    if cache is None:
        return load(compile_artifact(imported, options))
    key = cache_key(imported, options)
    try:
        data = cache.get(key)
    except OSError as e:
        artifact_cache.warn(e, f"be read in {cache.directory}")
        return load(compile_artifact(imported, options))
    if data is not None:
        try:
            return load(data)
        except WebTensorError:
            pass  # authentic, but not loadable here: rebuilt and replaced below
    data = compile_artifact(imported, options)
    loaded = load(data)  # before it is stored: an entry must load
    try:
        cache.put(key, data, describe(imported, options))
    except OSError as e:
        artifact_cache.warn(e, f"be written in {cache.directory}")
    return loaded


def run_phases(imported: ImportedModule, options: CompileOptions, phase: Phase, debug_info: bool = False) -> str | bytes:
    """Runs up to `phase`: IR text for an IR phase, artifact bytes for vmfb.

    In a worker process with limits (compiler/worker.py) unless
    `options.isolate` is off; plainly malformed input fails the gate's
    envelope checks here, without starting a worker. A failure saves a
    reproducer.
    """
    try:
        if not options.isolate:
            return compile_in_process(imported, options, phase, debug_info)
        gate.check_envelope(imported, options.input_limits)
        return worker.run(imported, options, phase, debug_info)
    except CompileError as e:
        failed = getattr(e, "failed_phase", Phase.INPUT)
        raise _with_reproducer(e, imported, options, failed) from None


def compile(
    source: Source,
    *example_args: Any,
    weights_argnums: int | tuple[int, ...] = (),
    weights: Any = None,
    hoist_constants: bool = True,
    static_argnums: int | tuple[int, ...] = (),
    static_argnames: str | tuple[str, ...] = (),
    options: CompileOptions | None = None,
    device: str | None = None,
    cache: CacheSetting = True,
    on_progress: progress.Callback | None = None,
    **option_overrides: Any,
) -> Model:
    """Compiles a JAX function (with example arguments) or a StableHLO module
    and loads it on `device` (default: the target's usual device).

    `weights_argnums` (an int or a tuple, as jax.jit's static_argnums) names
    the arguments that are weights: the model reads them as bound parameters,
    packed once at load, and is called without them. Their example values
    are bound; `weights` (a path or arrays) binds others instead. For
    StableHLO, `weights` is a file or a mapping whose names are the
    arguments' own names (`loc("params['w']")`, as jax.export writes them).
    Arrays a JAX function closes over of at least 64 KiB become weights too
    (`constants[i]`); `hoist_constants=False` bakes them into the program.
    `static_argnums`/`static_argnames`, as jax.jit's, fix those arguments to
    their example values (an int, a shape, a flag): the model is called
    without them, and other values need another compile.

    `on_progress(phase, seconds)` is called as each phase starts (seconds
    None) and ends; the logger `webtensor.compile` says the same at INFO
    (compiler/progress.py). A cached artifact runs no phase but the export.

    `cache`: True looks the artifact up in the default compile cache
    (runtime/artifact_cache.py's default_directory) and stores it there after a
    compile; a path or an ArtifactCache uses that cache; False or None
    always compiles. Keyword arguments other than these set
    `CompileOptions` fields, e.g. `target="cuda"`.
    """
    options = make_options(options, option_overrides)
    store = open_cache(cache)
    with progress.reporting(on_progress):
        imported, bound = import_model(
            source, example_args, weights_argnums, weights, hoist_constants, static_argnums, static_argnames
        )
        artifact = load_or_compile(imported, options, store)
    from ..runtime.model import Model

    return Model(artifact, device, weights=bound)


def compile_ir(
    source: Source,
    *example_args: Any,
    phase: Phase | str = Phase.LEGALIZED,
    weights_argnums: int | tuple[int, ...] = (),
    hoist_constants: bool = True,
    static_argnums: int | tuple[int, ...] = (),
    static_argnames: str | tuple[str, ...] = (),
    options: CompileOptions | None = None,
    **option_overrides: Any,
) -> str:
    """The IR of `source` after `phase` (any phase but vmfb), as text."""
    phase = Phase.parse(phase)
    if phase == Phase.VMFB:
        raise ValueError("the vmfb phase is binary: use webtensor.compile(...).save(path)")
    options = make_options(options, option_overrides)
    imported, _ = import_model(
        source,
        example_args,
        weights_argnums,
        hoist_constants=hoist_constants,
        static_argnums=static_argnums,
        static_argnames=static_argnames,
    )
    return run_phases(imported, options, phase)


def _with_reproducer(error: CompileError, imported: ImportedModule, options: CompileOptions, phase: Phase) -> CompileError:
    """Saves the input (unless it already is a file) and names the command
    that runs it up to `phase`, the one that failed."""
    if error.reproducer:
        return error
    path = imported.path or reproducers.save(imported.payload)
    if path is None:
        return error  # too large to keep unasked: WEBTENSOR_REPRODUCER_DIR keeps it
    command = shlex.join(["webtensor-compile", path, *command_line(options), f"--compile-to={phase.value}"])
    return error.with_reproducer(path if imported.path is None else None, command)


@dataclasses.dataclass(frozen=True)
class ExportedModel:
    """A model ready to ship as a package: `save(path)` writes the `.wtpkg`.

    `manifest` is the manifest but for the layout fields the writer fills
    in; `program` the StableHLO portable artifact; `weights` each weight's
    type and value (arrays, or mappings of a file), streamed when saved."""

    manifest: dict[str, Any]
    program: bytes
    weights: tuple[tuple[TensorSpec, Any], ...]

    def save(self, path: str | os.PathLike) -> None:
        package_format.write(path, self.manifest, self.program, self.weights)


def export(
    source: Source,
    *example_args: Any,
    weights_argnums: int | tuple[int, ...] = (),
    weights: Any = None,
    hoist_constants: bool = True,
    static_argnums: int | tuple[int, ...] = (),
    static_argnames: str | tuple[str, ...] = (),
    options: CompileOptions | None = None,
    **option_overrides: Any,
) -> ExportedModel:
    """A package of `source` (as `compile` takes it) and its weights.

    A JAX function is exported as `compile` exports it. A StableHLO program
    is checked up to the legalized phase here, in this process, to read its
    interface: export programs you trust (your own); hosts compile the
    packages they load in the isolated worker."""
    from .frontends import package as package_frontend

    options = make_options(options, option_overrides)
    imported, values = import_model(
        source, example_args, weights_argnums, weights, hoist_constants, static_argnums, static_argnames
    )
    if torch_module.is_torch_module(source) or onnx_file.is_onnx(source):  # issue 14
        hints = imported.hints
        program = package_frontend.portable(imported.payload, imported.source_name)
        frontend = torch_module.frontend_name() if torch_module.is_torch_module(source) else onnx_file.frontend_name()
    elif callable(source):
        import jax

        hints, program, frontend = imported.hints, imported.payload, f"jax {jax.__version__}"
    else:
        hints = _interfaces(imported, options)
        program = imported.payload if imported.portable else package_frontend.portable(imported.payload, imported.source_name)
        frontend = "stablehlo"
    specs = {spec.name: spec for hint in hints.values() for spec in hint.weights}
    arrays = weight_arrays(values, specs)
    producer = {"name": "webtensor", "version": _version(), "frontend": frontend}
    manifest = package_frontend.manifest(hints, program, producer, imported.source_name)
    return ExportedModel(manifest, program, tuple((spec, arrays[name]) for name, spec in specs.items()))


def _interfaces(imported: ImportedModule, options: CompileOptions) -> dict[str, Any]:
    from .frontends.package import hint_from_signature

    compilation = None
    try:
        gate.check(imported, options.input_limits)
        compilation = Compilation(imported, options)
        compilation.run_to(Phase.LEGALIZED)
        return {
            name: hint_from_signature(entry.signature, entry.weight_args)
            for name, entry in compilation.entries.items()
        }
    finally:
        if compilation is not None:
            compilation.close()


def weight_arrays(values: Any, specs: dict[str, TensorSpec]) -> dict[str, Any]:
    """Every weight's value, by name, from arrays or a weights file (mapped)."""
    if not specs:
        return {}
    if values is None:
        raise ValueError(
            f"a package holds its weights' values; give them ({', '.join(list(specs)[:3])}...) "
            "as arrays in the example arguments or with weights="
        )
    arrays = read_arrays(os.fspath(values)) if isinstance(values, (str, os.PathLike)) else dict(values)
    missing = [name for name in specs if name not in arrays]
    if missing:
        raise ValueError(f"no value for weight(s) {', '.join(missing)}")
    return arrays


def _version() -> str:
    from .. import __version__

    return __version__


def load_package(
    path: str | os.PathLike,
    device: str | None = None,
    fuel: int = DEFAULT_FUEL,
    *,
    power_preference: str = "default",
    deadline: float | None = None,
    weights: Any = None,
    process: Any = None,
    options: CompileOptions | None = None,
    cache: CacheSetting = True,
    **option_overrides: Any,
) -> Model:
    """Loads a package as an untrusted model: checks every byte against the
    manifest's hashes, compiles the program here (legalize, verify,
    sandbox, IREE, in the worker; cached by the program and options, never
    the weights) and binds the package's weights by mapping them, unless
    `weights` gives others. `process` is the runtime's (webtensor.runtime.load):
    whether calls run in a child process that a deadline kills."""
    options = make_options(options, option_overrides)
    imported, bound = import_model(path, weights=weights)
    artifact = load_or_compile(imported, options, open_cache(cache))
    from ..runtime.model import Model

    return Model(
        artifact, device, fuel, power_preference=power_preference, deadline=deadline, weights=bound, process=process
    )
