"""The Python door: `webtensor.compile(...)`.

    model = webtensor.compile(fn, params, x)       # a JAX function + example args
    model = webtensor.compile("model.mlir")        # a path, text, or bytes
    y = model(params, x)
    model.save("model.vmfb"); webtensor.load("model.vmfb")(params, x)
"""

from __future__ import annotations

import os
import shlex
import tempfile
from typing import Any, Callable

from ..runtime.artifact import Artifact
from ..runtime.model import Model
from .diagnostics import CompileError
from .frontends import ImportedModule, jax_function, stablehlo_file
from .options import CompileOptions, Phase
from .pipeline import Compilation

Source = Callable | str | bytes | os.PathLike


def import_source(source: Source, example_args: tuple[Any, ...] = ()) -> ImportedModule:
    if callable(source):
        return jax_function.export_function(source, example_args)
    if example_args:
        raise TypeError("example arguments are only for JAX functions; StableHLO sources carry their types")
    return stablehlo_file.load_any(source)


def make_options(options: CompileOptions | None, overrides: dict[str, Any]) -> CompileOptions:
    options = options or CompileOptions()
    if not overrides:
        return options
    import dataclasses

    valid = {f.name for f in dataclasses.fields(CompileOptions)}
    unknown = sorted(set(overrides) - valid)
    if unknown:
        raise TypeError(f"unknown compile option(s) {unknown}; valid: {sorted(valid)}")
    return dataclasses.replace(options, **overrides)


def compile_artifact(imported: ImportedModule, options: CompileOptions) -> bytes:
    """StableHLO to VM flatbuffer bytes; a failure saves a reproducer."""
    return run_phases(imported, options, Phase.VMFB)


def run_phases(imported: ImportedModule, options: CompileOptions, phase: Phase) -> str | bytes:
    """Runs up to `phase`: IR text for an IR phase, artifact bytes for vmfb."""
    compilation = None
    try:
        compilation = Compilation(imported, options)
        if phase == Phase.VMFB:
            return compilation.vmfb()
        compilation.run_to(phase)
        return compilation.text()
    except CompileError as e:
        failed = compilation.phase if compilation else Phase.INPUT
        raise _with_reproducer(e, imported, options, failed) from None
    finally:
        if compilation is not None:
            compilation.close()


def compile(
    source: Source,
    *example_args: Any,
    options: CompileOptions | None = None,
    device: str | None = None,
    **option_overrides: Any,
) -> Model:
    """Compiles a JAX function (with example arguments) or a StableHLO module
    and loads it on `device` (default: the target's usual device).

    Keyword arguments other than `options` and `device` set `CompileOptions`
    fields, e.g. `target="cuda"`.
    """
    options = make_options(options, option_overrides)
    imported = import_source(source, example_args)
    return Model(Artifact.from_bytes(compile_artifact(imported, options)), device)


def compile_ir(
    source: Source,
    *example_args: Any,
    phase: Phase | str = Phase.LEGALIZED,
    options: CompileOptions | None = None,
    **option_overrides: Any,
) -> str:
    """The IR of `source` after `phase` (any phase but vmfb), as text."""
    phase = Phase.parse(phase)
    if phase == Phase.VMFB:
        raise ValueError("the vmfb phase is binary: use webtensor.compile(...).save(path)")
    options = make_options(options, option_overrides)
    return run_phases(import_source(source, example_args), options, phase)


def _with_reproducer(error: CompileError, imported: ImportedModule, options: CompileOptions, phase: Phase) -> CompileError:
    """Saves the input (unless it already is a file) and names the command."""
    if error.reproducer:
        return error
    path = imported.path
    if path is None:
        directory = os.environ.get("WEBTENSOR_REPRODUCER_DIR") or tempfile.mkdtemp(prefix="webtensor-repro-")
        os.makedirs(directory, exist_ok=True)
        binary = isinstance(imported.payload, bytes)
        path = os.path.join(directory, "input.mlirbc" if binary else "input.mlir")
        with open(path, "wb" if binary else "w") as f:
            f.write(imported.payload)
    next_phase = list(Phase)[min(phase.index + 1, Phase.VMFB.index)]
    command = shlex.join(["webtensor-compile", path, *_option_flags(options), f"--compile-to={next_phase.value}"])
    return error.with_reproducer(path if imported.path is None else None, command)


def _option_flags(options: CompileOptions) -> list[str]:
    flags = [f"--target={options.target.value}"]
    defaults = CompileOptions()
    if options.target_cpu != defaults.target_cpu:
        flags.append(f"--target-cpu={options.target_cpu}")
    if options.cuda_arch != defaults.cuda_arch:
        flags.append(f"--cuda-arch={options.cuda_arch}")
    if options.vulkan_target:
        flags.append(f"--vulkan-target={options.vulkan_target}")
    if not options.sandbox:
        flags.append("--no-sandbox")
    flags.extend(f"--iree-flag={flag}" for flag in options.iree_flags)
    return flags
