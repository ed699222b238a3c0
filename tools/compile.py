"""webtensor-compile: StableHLO or a JAX function in, an artifact (or a phase's IR) out.

    webtensor-compile model.mlir -o model.vmfb
    webtensor-compile model.py:predict --input=1x784xf32 -o model.vmfb
    webtensor-compile model.mlir --compile-to=sandboxed
    webtensor-compile --portable model.py:predict --weights-argnums=0 -o model.wtpkg
    webtensor-compile --portable model.onnx -o model.wtpkg    # initializers are the weights

An artifact is looked up in the compile cache first and stored there after a
compile (--no-cache turns that off); IR phases always run.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import sys
from typing import Any, Sequence

from .common import UsageError, run_compiler_tool, write_output
from .compile_progress import PhaseDisplay

PROG = "webtensor-compile"
STDIN_NAME = "<stdin>"


def build_parser() -> argparse.ArgumentParser:
    from ..compiler import options
    from ..compiler.options import PHASE_HELP, Phase

    phases = "\n".join(f"  {p.value:<10} {PHASE_HELP[p]}" for p in Phase)
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Compile a StableHLO module or a JAX function into a WebTensor artifact.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"phases, in order (--compile-to):\n{phases}",
    )
    parser.add_argument(
        "input",
        nargs="?",
        help="a .mlir (text), .mlirbc (bytecode or StableHLO portable artifact) or .onnx file, "
        "'-' for stdin, or path/to/file.py:function",
    )
    parser.add_argument("-o", "--output", help="where to write the result ('-' for stdout)")
    parser.add_argument(
        "--portable",
        action="store_true",
        help="write a package (.wtpkg: the portable program and its weights) instead of an artifact",
    )
    parser.add_argument(
        "--weights",
        metavar="FILE",
        help="the weights (safetensors, .irpa or .wtpkg); for StableHLO, the arguments named as its tensors are weights",
    )
    parser.add_argument(
        "--weights-argnums",
        metavar="N[,N...]",
        help="for file.py:function, the positional arguments that are weights (their values from example_args())",
    )
    options.add_arguments(parser)
    parser.add_argument("--compile-to", default="vmfb", metavar="PHASE", help="stop after this phase and write its IR (default vmfb)")
    parser.add_argument(
        "--input",
        dest="inputs",
        action="append",
        default=[],
        metavar="TYPE",
        help="for file.py:function, one per positional argument, e.g. 2x3xf32; "
        "without it, example_args() in the same file supplies them",
    )
    parser.add_argument("--print-debuginfo", action="store_true", help="print locations with the IR")
    parser.add_argument("--timings", action="store_true", help="print how long each phase took, as a table on stderr")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="always compile: neither read nor write the compile cache (an artifact, -o, is cached by default; see webtensor-cache)",
    )
    profile = parser.add_argument_group("profile", "what a module may contain and ask of the host")
    options.add_arguments(profile, "profile")
    profile.add_argument("--print-profile", action="store_true", help="print the profile (ops, element types, limits) as JSON and exit")
    isolation = parser.add_argument_group(
        "isolation", "untrusted input is compiled in a worker process with these limits (defaults in brackets)"
    )
    options.add_arguments(isolation, "isolation")
    return parser


def run(args: argparse.Namespace) -> int:
    from ..compiler import progress
    from ..compiler.options import Phase, from_arguments, parse_limit_settings

    try:
        if args.print_profile:
            from ..dialects.profile import op_support_limits

            print(json.dumps(op_support_limits(parse_limit_settings(args.limit or ())), indent=2))
            return 0
        if not args.input:
            raise UsageError("no input (a .mlir, .mlirbc or .onnx file, '-', or file.py:function)")
        phase = Phase.parse(args.compile_to)
        options = from_arguments(args)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if phase == Phase.VMFB and not args.output:
        raise UsageError("an artifact is binary: give -o FILE (or '-o -' for stdout)")
    display = PhaseDisplay(PROG, sys.stderr, live=sys.stderr.isatty())
    try:
        with progress.reporting(display):
            _compile(args, options, phase)
    finally:
        display.close()
    if args.timings:
        print(display.table(), file=sys.stderr)
    return 0


def _compile(args: argparse.Namespace, options, phase) -> None:
    from ..compiler.api import artifact_bytes, import_model, run_phases
    from ..compiler.artifact_key import open_cache
    from ..compiler.options import Phase

    source, example_args = _load_input(args.input, args.inputs)
    argnums = _argnums(args.weights_argnums, callable(source))
    if args.portable:
        _write_package(args, source, example_args, argnums, options)
        return
    imported, _ = import_model(source, example_args, argnums, args.weights)
    if args.input == "-":
        imported = dataclasses.replace(imported, source_name=STDIN_NAME)
    if phase == Phase.VMFB:
        result = artifact_bytes(imported, options, open_cache(not args.no_cache))
    else:
        result = run_phases(imported, options, phase, debug_info=args.print_debuginfo)
    write_output(args.output or "-", result)


def _argnums(text: str | None, is_function: bool) -> tuple[int, ...]:
    if text is None:
        return ()
    if not is_function:
        raise UsageError("--weights-argnums is for file.py:function inputs; StableHLO's weights are named by --weights")
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--weights-argnums takes argument positions such as 0 or 0,2, not '{text}'") from None


def _write_package(args: argparse.Namespace, source, example_args, argnums, options) -> None:
    from ..compiler.api import export

    if not args.output or args.output == "-":
        raise UsageError("a package is a file: give -o FILE.wtpkg")
    if args.compile_to != "vmfb":
        raise UsageError("--portable writes a package; it does not stop at a phase")
    export(source, *example_args, weights_argnums=argnums, weights=args.weights, options=options).save(args.output)


def _load_input(spec: str, input_types: list[str]) -> tuple[Any, tuple]:
    if spec == "-":
        if input_types:
            raise UsageError("--input is only for file.py:function inputs")
        return sys.stdin.buffer.read(), ()
    path, sep, function_name = spec.rpartition(":")
    if sep and path.endswith(".py"):
        return _load_python_function(path, function_name, input_types)
    if spec.endswith(".py"):
        raise UsageError(_name_the_function(spec))
    if input_types:
        raise UsageError("--input is only for file.py:function inputs; StableHLO files carry their types")
    if not os.path.exists(spec):
        raise UsageError(f"{spec}: no such file")
    from pathlib import Path

    return Path(spec), ()


def _name_the_function(path: str) -> str:
    """What to write instead of a bare file.py: its functions, read without
    running the file."""
    import ast

    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), path)
    except FileNotFoundError:
        return f"{path}: no such file"
    except (OSError, SyntaxError, ValueError) as e:
        return f"{path} is Python, not MLIR, and cannot be read: {e}"
    functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")]
    has_example_args = "example_args" in functions
    candidates = [name for name in functions if name not in ("example_args", "main")]
    if not candidates:
        return f"{path} is Python, not MLIR, and defines no function to compile; write {path}:FUNCTION"
    message = f"{path} is Python: name the function to compile, e.g. {path}:{candidates[0]} (functions: {', '.join(candidates)})"
    if not has_example_args:
        message += "; give its argument types with --input=TYPE, or define example_args() in the file"
    return message


def _load_python_function(path: str, function_name: str, input_types: list[str]):
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file")
    module_spec = importlib.util.spec_from_file_location("_webtensor_user_model", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        module_spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    fn = getattr(module, function_name, None)
    if not callable(fn):
        raise UsageError(f"{path} has no function '{function_name}'")
    if input_types:
        return fn, tuple(_shape_struct(t) for t in input_types)
    example_args = getattr(module, "example_args", None)
    if example_args is None:
        raise UsageError(
            f"give the argument types of {function_name} with --input=TYPE (one per argument), "
            f"or define example_args() in {path}"
        )
    args = example_args() if callable(example_args) else example_args
    return fn, tuple(args)


def _shape_struct(text: str):
    import jax

    from .tensor_io import TensorSpecError, parse_type

    try:
        shape, element_type = parse_type(text)
    except TensorSpecError as e:
        raise UsageError(str(e)) from None
    return jax.ShapeDtypeStruct(shape, element_type.dtype)


def main(argv: Sequence[str] | None = None) -> int:
    return run_compiler_tool(PROG, build_parser, run, argv)


if __name__ == "__main__":
    sys.exit(main())
