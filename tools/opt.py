"""webtensor-opt: run named passes over a module and print the IR, the way
mlir-opt does, for lit tests and for looking at what a pass does.

    webtensor-opt in.mlir -p webtensor-legalize-composite,canonicalize
    webtensor-opt in.mlir -p PASS --split-input-file --verify-diagnostics | filecheck in.mlir

With --verify-diagnostics, diagnostics go to stdout as
`file:line:col: error: message` (for FileCheck) and the exit status is 0
whether or not the passes reported errors.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Sequence

from .common import UsageError, run_compiler_tool, write_output

PROG = "webtensor-opt"
SPLIT_MARKER = re.compile(r"^// -----[ \t]*$", re.MULTILINE)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Run passes over a StableHLO module and print the result.")
    parser.add_argument("input", nargs="?", help="a .mlir or .mlirbc file, or '-' for stdin")
    parser.add_argument("-p", "--pass-pipeline", default="", metavar="PASSES", help="comma-separated passes, e.g. webtensor-legalize-composite,canonicalize")
    parser.add_argument("-o", "--output", default="-", help="where to write the IR (default stdout)")
    parser.add_argument("--split-input-file", action="store_true", help="process each '// -----' chunk on its own")
    parser.add_argument("--verify-diagnostics", action="store_true", help="print diagnostics to stdout, for FileCheck")
    parser.add_argument("--print-debuginfo", action="store_true", help="print locations with the IR")
    parser.add_argument("--list-passes", action="store_true", help="list WebTensor's passes and exit")
    return parser


def run(args: argparse.Namespace) -> int:
    from ..passes import PASSES

    if args.list_passes:
        for name, cls in sorted(PASSES.items()):
            print(f"{name:<36} {cls.summary}")
        return 0
    if not args.input:
        raise UsageError("no input file (use '-' for stdin)")
    name, text = _read(args.input)
    chunks = _split(text) if args.split_input_file else [text]
    outputs, failed = [], False
    for chunk in chunks:
        output, chunk_failed = _process(chunk, name, args)
        outputs.append(output)
        failed |= chunk_failed
    write_output(args.output, "// -----\n".join(outputs))
    return 1 if failed and not args.verify_diagnostics else 0


def _read(path: str) -> tuple[str, str | bytes]:
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file") from None
        name = path
    from ..compiler.frontends.bytecode import is_bytecode

    if is_bytecode(data):
        return name, data
    try:
        return name, data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{name}: neither MLIR text nor bytecode") from None


def _split(text: str | bytes) -> list[str]:
    """Chunks padded with blank lines, so line numbers match the whole file."""
    if isinstance(text, bytes):
        raise UsageError("--split-input-file needs a text input")
    chunks, start = [], 0
    for match in SPLIT_MARKER.finditer(text):
        chunks.append(text[start : match.start()])
        start = match.end()
    chunks.append(text[start:])
    padded, line = [], 0
    for chunk in chunks:
        padded.append("\n" * line + chunk)
        line += chunk.count("\n")
    return padded


def _process(text: str | bytes, name: str, args) -> tuple[str, bool]:
    """(what to print, whether it failed)."""
    from ..compiler.diagnostics import CompileError
    from ..compiler.frontends.stablehlo_file import load_bytes, load_text
    from ..compiler.session import CompilerSession

    try:
        imported = load_bytes(text, name) if isinstance(text, bytes) else load_text(text, name)
        session = CompilerSession()
        module = session.parse(imported)
        _run_passes(session, module, args.pass_pipeline, name)
    except CompileError as e:
        if not args.verify_diagnostics:
            print("\n".join(d.format(name) for d in e.diagnostics) or e.summary, file=sys.stderr)
            return "", True
        return "\n".join(d.format(name) for d in e.diagnostics) + "\n", True
    return module.operation.get_asm(enable_debug_info=args.print_debuginfo) , False


def _run_passes(session, module, pipeline: str, name: str) -> None:
    from iree.compiler import ir

    from ..compiler.diagnostics import CompileError, errors_from_mlir
    from ..passes import PASSES
    from ..passes.pipeline import PipelineError, build

    if not pipeline:
        return
    try:
        pm, _ = build(pipeline, PASSES, session.context)
    except PipelineError as e:
        raise UsageError(str(e)) from None
    try:
        pm.run(module.operation)
    except ir.MLIRError as e:
        raise CompileError("pass pipeline failed", errors_from_mlir(e), source_name=name) from None


def main(argv: Sequence[str] | None = None) -> int:
    return run_compiler_tool(PROG, build_parser, run, argv)


if __name__ == "__main__":
    sys.exit(main())
