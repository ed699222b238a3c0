"""Typed runtime errors, one per wasi-nn error code.

A host that embeds WebTensor catches `WebTensorError` and reads `.code` to
decide what to do; each subclass also derives from the Python built-in that
Python itself would raise there, so ordinary code keeps working:
`except KeyError:` around `model[name]`, `except TypeError:` around a call
with the wrong number of arguments, `except ValueError:` around a bad value.
"""

from __future__ import annotations


class WebTensorError(Exception):
    """Base of every error the runtime raises on purpose."""

    code = "runtime-error"


class InvalidArgument(WebTensorError, ValueError):
    """A call's inputs do not match the signature (count, shape, dtype, structure)."""

    code = "invalid-argument"


class InvalidArgumentType(InvalidArgument, TypeError):
    """An argument of the wrong kind: the wrong number of arguments, an
    unknown keyword, a list where a dict belongs. Python raises TypeError
    for these; this is also an InvalidArgument."""


class InvalidEncoding(WebTensorError, ValueError):
    """The bytes given as an artifact are not a WebTensor artifact this runtime can load."""

    code = "invalid-encoding"


class Timeout(WebTensorError, TimeoutError):
    """A call ran past its wall-clock deadline."""

    code = "timeout"


class BudgetExceeded(Timeout):
    """A call would spend more than its work budget ("fuel"); no outputs are returned."""

    code = "timeout"


class ExecutionError(WebTensorError, RuntimeError):
    """The device failed while running a call (wasi-nn's runtime-error)."""

    code = "runtime-error"


class UnsupportedOperation(WebTensorError):
    """The request is valid but this runtime or device cannot do it."""

    code = "unsupported-operation"


class TooLarge(WebTensorError, ValueError):
    """An input, output or model exceeds a limit."""

    code = "too-large"


class NotFound(WebTensorError, KeyError):
    """A named function, device or cache entry does not exist. A KeyError
    (so a LookupError), as `model["nosuch"]` is a lookup by key."""

    code = "not-found"

    def __str__(self) -> str:
        # KeyError's str() is the repr of its key; this is a sentence.
        return Exception.__str__(self)


class SecurityError(WebTensorError):
    """An artifact failed an integrity check and was not executed."""

    code = "security"


def by_name(name: object) -> type[WebTensorError]:
    """The error class another process reported by name (a child process,
    the web runtime); anything unknown is an ExecutionError."""
    for cls in _REPORTABLE:
        if cls.__name__ == name:
            return cls
    return ExecutionError


class MissingExtra(WebTensorError, ImportError):
    """An optional part of webtensor (an extra of its package) is not installed."""


# What `pip install 'webtensor[compiler]'` adds to the runtime-only install.
COMPILER_PACKAGES = ("iree.compiler", "jax", "jaxlib")


def require_compiler(what: str) -> None:
    """Raises MissingExtra, one line naming what to install, where this is
    a runtime-only install (`pip install webtensor`)."""
    import importlib.util

    for name in COMPILER_PACKAGES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ImportError:  # a parent package is missing too
            found = False
        if not found:
            raise MissingExtra(
                f"{what} needs the compiler, and {name} is not installed (a runtime-only install): "
                "pip install 'webtensor[compiler]'"
            )


# The errors a runtime in another process may report by name.
_REPORTABLE = (
    BudgetExceeded,
    ExecutionError,
    InvalidArgument,
    InvalidArgumentType,
    InvalidEncoding,
    NotFound,
    Timeout,
    TooLarge,
    UnsupportedOperation,
    WebTensorError,
)
