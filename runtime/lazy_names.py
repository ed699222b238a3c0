"""Package names that import their module on first use (PEP 562).

iree.runtime's import takes ml_dtypes' (0.5 to 3 s in ml_dtypes 0.7.0,
which pyproject.toml keeps out), the compile API's takes JAX's: a process
that only compiles, only runs passes, or only reads an error class should
pay for neither. So `webtensor`,
`webtensor.runtime` and `webtensor.compiler` list their names with the
module each comes from, and import it when the name is first read.
"""

from __future__ import annotations

import importlib
from typing import Callable


def lazy_names(package: str, names: dict[str, str], namespace: dict) -> tuple[Callable, Callable]:
    """The `__getattr__` and `__dir__` of `package`, whose `names` map each
    name to its module (relative to the package); a name read once is kept
    in `namespace` (the package's globals)."""

    def __getattr__(name: str):
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
