"""webtensor-inspect: what a package, an artifact or a weights file holds.

    webtensor-inspect model.wtpkg     manifest, signatures, op counts, weights
    webtensor-inspect model.vmfb      target, signatures, the weights it reads
    webtensor-inspect w.safetensors   the tensors of a weights file (or .irpa)

Nothing is compiled. A package is checked against its hashes first, and
its program's ops are counted from the portable artifact as the compiler
worker reads it (isolated, as every untrusted input); --no-ops skips that.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
from typing import Sequence

from .common import UsageError, run_tool

PROG = "webtensor-inspect"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Print what a WebTensor package (.wtpkg), artifact (.vmfb) or weights file holds.",
    )
    parser.add_argument("file", help="a .wtpkg, .vmfb, .safetensors or .irpa file")
    parser.add_argument("--no-ops", action="store_true", help="do not count the program's ops (needs the compiler)")
    return parser


def run(args: argparse.Namespace) -> int:
    from ..runtime.package import is_package

    if not os.path.exists(args.file):
        raise UsageError(f"{args.file}: no such file")
    if is_package(args.file):
        _package(args.file, not args.no_ops)
    elif _is_artifact(args.file):
        _artifact(args.file)
    else:
        _weights_file(args.file)
    return 0


def _is_artifact(path: str) -> bool:
    with open(path, "rb") as f:
        head = f.read(8)
    return head[:4] == b"PK\x03\x04" or head[4:8] == b"IREE"


def _package(path: str, count_ops: bool) -> None:
    from ..runtime.package import FORMAT_VERSION, Package

    package = Package.open(path)
    manifest = package.manifest
    program = manifest["program"]
    producer = manifest["producer"]
    weight_bytes = sum(entry.section.length for entry in package.weights)
    print(f"{path}: WebTensor package, format {FORMAT_VERSION}, {package.size:,} bytes; every hash checks out")
    print(f"producer: {producer.get('name', '?')} {producer.get('version', '?')} ({producer.get('frontend', '?')})")
    print(f"profile:  {manifest['profile']}")
    window = program.get("compatibility", {})
    print(
        f"program:  StableHLO {program['stablehlo_version']} portable artifact, {program['length']:,} bytes"
        + (f" (StableHLO consumers from {window.get('readable_from')} on read it)" if window else "")
    )
    print("entry points:")
    for name, interface in manifest["entry_points"].items():
        print(f"  {_interface_line(name, interface)}")
    if count_ops:
        _print_ops(package)
    share = f" ({100 * weight_bytes / package.size:.0f}% of the file)" if package.size else ""
    print(f"weights: {len(package.weights)} tensors, {weight_bytes:,} bytes{share}")
    _print_tensors([entry.spec for entry in package.weights])


def _interface_line(name: str, interface: dict) -> str:
    from ..runtime.signature import TensorSpec

    def specs(key: str) -> str:
        return ", ".join(f"{t.name}: {t.type_string()}" for t in map(TensorSpec.from_json, interface.get(key) or []))

    weights = len(interface.get("weights") or [])
    return f"{name}({specs('input_types')}) -> ({specs('output_types')})" + (f", reads {weights} weights" if weights else "")


def _print_ops(package) -> None:
    from ..compiler.api import import_model, run_phases
    from ..compiler.options import CompileOptions, Phase
    from ..compiler.session import CompilerSession
    from ..dialects.walk import walk

    imported, _ = import_model(package.path)
    text = run_phases(imported, CompileOptions(), Phase.INPUT)  # deserialized in the worker
    session = CompilerSession()
    try:
        module = session.parse_trusted(text, package.path)
        counts = collections.Counter(op.name for op in walk(module.operation) if op.name != "builtin.module")
    finally:
        session.close()
    print(f"ops: {sum(counts.values()):,} in all")
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {name:<32} {count:>8,}")


def _artifact(path: str) -> None:
    from ..runtime.artifact import Artifact
    from ..runtime.model import model_weights

    artifact = Artifact.from_path(path)
    print(f"{path}: WebTensor artifact for {artifact.target}, {len(artifact.data):,} bytes (native code: load only what you compiled)")
    print("entry points:")
    for signature in artifact.signatures.values():
        print(f"  {signature}")
        print(f"    {_price(signature)}")
    weights = model_weights(artifact.signatures)
    if weights:
        print(f"weights it reads (bind them at load): {len(weights)} tensors, {weights.nbytes:,} bytes")
        _print_tensors(weights.specs)


def _price(signature) -> str:
    """What a call costs in work units (the budget that `fuel=` sets)."""
    loops = ", ".join(f"{c:,}" for c in signature.loop_costs)
    per_iteration = f"; each loop iteration, in program order: {loops}" if loops else ""
    return f"costs {signature.cost:,} work units up front{per_iteration}"


def _weights_file(path: str) -> None:
    from ..runtime.parameters import Weights
    from ..runtime.weights import file_format, file_tensor_specs

    specs = tuple(file_tensor_specs(path))
    total = Weights(specs).nbytes
    print(f"{path}: {file_format(path)} weights, {len(specs)} tensors, {total:,} bytes")
    _print_tensors(specs)


def _print_tensors(specs) -> None:
    from ..runtime.parameters import tensor_table

    print("\n".join(tensor_table(specs, indent="  ")))


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(PROG, build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
