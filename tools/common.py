"""What every command-line tool shares: one-line errors, and --debug."""

from __future__ import annotations

import argparse
import sys
import traceback
from typing import Callable, Sequence

EXIT_ERROR = 1
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in WebTensor, not in the input


class UsageError(Exception):
    """A command-line mistake; printed as one line."""


def run_tool(prog: str, parser: argparse.ArgumentParser, body: Callable[[argparse.Namespace], int], argv: Sequence[str] | None) -> int:
    parser.add_argument("--debug", action="store_true", help="print a traceback on any error")
    args = parser.parse_args(argv)
    try:
        return body(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # noqa: BLE001 - the one place every error becomes a message
        if args.debug:
            _print_traceback(e)
        print(_message(prog, e), file=sys.stderr)
        return EXIT_INTERNAL if _is_internal(e) else EXIT_ERROR


def run_compiler_tool(
    prog: str, build_parser: Callable[[], argparse.ArgumentParser], body: Callable[[argparse.Namespace], int], argv: Sequence[str] | None
) -> int:
    """run_tool for a tool that needs the compiler: in a runtime-only
    install it says, in one line, what to install (its parser already
    imports the compiler's option tables)."""
    from ..runtime.errors import MissingExtra, require_compiler

    try:
        require_compiler(prog)
    except MissingExtra as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    return run_tool(prog, build_parser(), body, argv)


def _print_traceback(error: Exception) -> None:
    """The traceback without its last line, the error's message: that is
    printed once, after it, as without --debug."""
    trace = traceback.TracebackException.from_exception(error)
    chunks = list(trace.format())
    message = list(trace.format_exception_only())
    print("".join(chunks[: len(chunks) - len(message)]), end="", file=sys.stderr)


def _message(prog: str, error: Exception) -> str:
    from ..runtime.errors import WebTensorError

    if isinstance(error, UsageError):
        return f"{prog}: error: {error}"
    if isinstance(error, WebTensorError):
        return f"{prog}: error: {error}"
    if _is_compile_error(error):
        return str(error)
    if _is_internal(error):
        return (
            f"{prog}: internal error: {type(error).__name__}: {error}\n"
            f"{prog}: this is a bug in WebTensor; rerun with --debug for a traceback"
        )
    return f"{prog}: error: {error}"


def _is_compile_error(error: Exception) -> bool:
    # By name, so that a runtime-only install need not import the compiler;
    # subclasses (the worker's failures) count too.
    return any(cls.__name__ == "CompileError" for cls in type(error).__mro__)


def _is_internal(error: Exception) -> bool:
    from ..runtime.errors import WebTensorError

    expected = (UsageError, WebTensorError, OSError, ValueError, TypeError)
    return not (isinstance(error, expected) or _is_compile_error(error))


def write_output(path: str, data: str | bytes) -> None:
    if path == "-":
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        return
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
