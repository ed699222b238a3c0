"""Packages to StableHLO, and StableHLO (with its weights) to packages.

A package (`.wtpkg`, runtime/package.py) is what a model author ships: the
program as a StableHLO portable artifact, the interface of each entry point
(names, types, nesting, which program arguments are weights) and the
weights. Loading one gives an `ImportedModule` like any other frontend's: the
manifest's interfaces become its hints, which the compiler checks against
the program's own types, so a manifest that lies about a type is refused.
The package is never trusted: its bytes were checked against their hashes
when it was opened, and its program is deserialized, verified, sandboxed and
compiled in the compiler worker like any other input.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ...dialects.profile import VERSION as PROFILE_VERSION
from ...runtime.package import Package
from ...runtime.signature import TensorSpec
from ..diagnostics import CompileError
from . import EntryPointHint, ImportedModule
from .bytecode import read_bytecode_header

# What the manifest promises about the program's StableHLO version: a
# consumer of this version or newer reads it, within StableHLO's
# compatibility window (docs/compatibility.md in openxla/stablehlo).
COMPATIBILITY = {"backward_years": 5, "forward_years": 2}


def imported_from(package: Package) -> ImportedModule:
    """The package's program, with the manifest's interfaces as hints."""
    name = package.path
    manifest = package.manifest
    if manifest["profile"] != PROFILE_VERSION:
        raise CompileError(
            f"{name}: the package needs the profile {manifest['profile']!r}; this WebTensor implements {PROFILE_VERSION!r}"
        )
    program = package.program()
    version = program_version(program, name)
    if version != manifest["program"]["stablehlo_version"]:
        raise CompileError(
            f"{name}: the manifest says StableHLO {manifest['program']['stablehlo_version']}, "
            f"but the program is StableHLO {version}"
        )
    _check_readable(version, name)
    hints = {}
    for function, data in manifest["entry_points"].items():
        try:
            hint = EntryPointHint.from_json(data)
        except ValueError as e:
            raise CompileError(f"{name}: entry point {function!r}: {e}") from None
        _check_weights(hint, package, function)
        hints[str(function)] = hint
    return ImportedModule(program, name, path=None, hints=hints, portable=True)


def program_version(program: bytes, source_name: str) -> str:
    """The StableHLO version a portable artifact was written for, from its header."""
    header = read_bytecode_header(program, source_name)
    if header.stablehlo_version is None:
        raise CompileError(f"{source_name}: the program is not a StableHLO portable artifact (producer {header.producer!r})")
    return header.stablehlo_version


def _check_readable(version: str, name: str) -> None:
    from jaxlib.mlir.dialects import stablehlo as jax_stablehlo

    newest, oldest = jax_stablehlo.get_current_version(), jax_stablehlo.get_minimum_version()
    if _version_key(version) > _version_key(newest):
        raise CompileError(
            f"{name}: the program is StableHLO {version}, newer than this WebTensor reads ({newest}); upgrade jaxlib"
        )
    if _version_key(version) < _version_key(oldest):
        raise CompileError(f"{name}: the program is StableHLO {version}, older than this WebTensor reads ({oldest})")


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (1 << 30,)  # not a version: newer than anything, and refused


def _check_weights(hint: EntryPointHint, package: Package, function: str) -> None:
    stored = {entry.spec.name: entry.spec for entry in package.weights}
    for spec in hint.weights:
        if stored.get(spec.name) != dataclasses.replace(spec, bounds=None):
            raise CompileError(
                f"{package.path}: entry point {function!r} reads weight {spec.name!r} as {spec.type_string()}, "
                "which the package does not hold"
            )


def manifest(hints: dict[str, EntryPointHint], program: bytes, producer: dict[str, str], source_name: str) -> dict[str, Any]:
    """A package manifest, but for the fields the writer lays out."""
    version = program_version(program, source_name)
    return {
        "producer": producer,
        "profile": PROFILE_VERSION,
        "program": {
            "encoding": "stablehlo-portable-artifact",
            "stablehlo_version": version,
            "compatibility": {"readable_from": version, **COMPATIBILITY},
        },
        "entry_points": {name: hint.to_json() for name, hint in sorted(hints.items())},
    }


def portable(payload: str | bytes, source_name: str) -> bytes:
    """StableHLO text or bytecode as a portable artifact, for a version
    twelve weeks old or older, so that consumers updated within that time
    read it (what jax.export does with four weeks)."""
    from jaxlib.mlir.dialects import stablehlo as jax_stablehlo

    target = jax_stablehlo.get_version_from_compatibility_requirement(
        jax_stablehlo.StablehloCompatibilityRequirement.WEEK_12
    )
    try:
        return jax_stablehlo.serialize_portable_artifact_str(payload, target)
    except Exception as e:  # jaxlib raises plain Exception subclasses of its own
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CompileError(f"{source_name}: cannot write a StableHLO portable artifact: {message}") from None


def hint_from_signature(signature, weight_args: dict[int, str]) -> EntryPointHint:
    """The interface of a compiled entry point, for a manifest: what a
    StableHLO program's frontend did not declare, read from the program.
    Its program takes every input (StableHLO drops none) and every weight."""
    inputs = list(signature.inputs)
    argument_count = len(inputs) + len(weight_args)
    names = iter(spec.name for spec in inputs)
    program_args = tuple(weight_args[i] if i in weight_args else next(names) for i in range(argument_count))
    return EntryPointHint(
        input_names=tuple(spec.name for spec in inputs),
        output_names=tuple(spec.name for spec in signature.outputs),
        input_tree=signature.input_tree,
        output_tree=signature.output_tree,
        arg_names=signature.arg_names,
        input_types=tuple(_plain(spec) for spec in inputs),
        output_types=tuple(_plain(spec) for spec in signature.outputs),
        weights=tuple(_plain(spec) for spec in signature.weights),
        weights_tree=signature.weights_tree,
        program_args=program_args,
    )


def _plain(spec: TensorSpec) -> TensorSpec:
    return dataclasses.replace(spec, bounds=None)
