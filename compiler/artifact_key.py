"""What a compiled artifact is the artifact of: the compile cache's key.

The key is a SHA-256 over a canonical JSON record (`key_fields`) of
everything that decides the artifact's bytes or whether the compile is
allowed at all:

- the model as the compiler sees it: StableHLO text or bytecode, and the
  frontend's names and nesting for each entry point;
- every compile option but the isolation ones: the target and its settings,
  the sandbox and tuning switches, extra IREE flags, every profile and input
  limit;
- the host's architecture and OS, and its exact CPU when `target_cpu` is
  "host";
- the versions of WebTensor, IREE (compiler and runtime) and, for portable
  artifacts, jaxlib's deserializer.

Where the input came from (a path, a function's name) and how the compiler
process is isolated are not part of it: they change neither the artifact nor
the checks it passed. The store itself, with its authentication, is
runtime/artifact_cache.py.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any, Union

from ..runtime.artifact_cache import ArtifactCache
from .frontends import ImportedModule
from .options import CompileOptions, Target

# Bump when the key's record or an entry's meaning changes.
KEY_FORMAT = 3

# Compile options that bound the compiler's process and never change the
# artifact it writes (tests/unit/test_isolation.py checks that).
NOT_IN_KEY = ("isolate", "isolation_limits")

CacheSetting = Union[bool, str, os.PathLike, ArtifactCache, None]


def open_cache(cache: CacheSetting) -> ArtifactCache | None:
    """The cache that `compile(..., cache=...)` means: True for the default
    directory, a path for that directory, False or None for none."""
    if cache is None or cache is False:
        return None
    if cache is True:
        return ArtifactCache()
    if isinstance(cache, ArtifactCache):
        return cache
    if isinstance(cache, (str, os.PathLike)):
        return ArtifactCache(cache)
    raise TypeError(f"cache= takes True, False, None, a directory or an ArtifactCache, not a {type(cache).__name__}")


def cache_key(imported: ImportedModule, options: CompileOptions) -> str:
    record = json.dumps(key_fields(imported, options), sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(record.encode("utf-8")).hexdigest()


def key_fields(imported: ImportedModule, options: CompileOptions) -> dict[str, Any]:
    """The record the key is the hash of; readable, for tests and debugging."""
    payload = imported.payload
    # surrogatepass: text that is not valid Unicode still gets a key; the
    # gate rejects it with a CompileError when it is compiled.
    data = payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else bytes(payload)
    return {
        "format": KEY_FORMAT,
        "versions": versions(portable=imported.portable),
        "input": {
            "kind": "text" if isinstance(payload, str) else "bytecode",
            "portable": imported.portable,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        "entry_points": {name: hint.to_json() for name, hint in sorted(imported.hints.items())},
        "named_weights": [spec.to_json() for spec in imported.named_weights],
        "options": option_fields(options),
        "host": host_fields(options),
    }


def option_fields(options: CompileOptions) -> dict[str, Any]:
    """Every compile option but those in NOT_IN_KEY, so that an option added
    later is part of the key unless someone decides otherwise."""
    fields = dataclasses.asdict(options)
    for name in NOT_IN_KEY:
        del fields[name]
    fields["target"] = options.target.value
    return fields


def versions(portable: bool) -> dict[str, str | None]:
    from .. import __version__

    compiler, runtime, jaxlib = _installed_versions()
    return {
        "webtensor": __version__,
        "webtensor_sources": compiler_sources_digest(),
        "iree_compiler": compiler,
        "iree_runtime": runtime,
        "jaxlib": jaxlib if portable else None,
    }


# The code that decides an artifact's bytes. A checkout's version number does
# not change when a pass does, so an edited pass would otherwise load the
# artifacts the old one wrote.
COMPILER_FOLDERS = ("compiler", "passes", "dialects")


@functools.lru_cache(maxsize=1)
def compiler_sources_digest() -> str:
    """A SHA-256 over the compiler's Python sources, as this process reads them."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in COMPILER_FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _installed_versions() -> tuple[str, str, str]:
    from iree.compiler import version as compiler_version

    try:
        # What iree.runtime.version re-exports, without importing iree.runtime
        # (and ml_dtypes with it): webtensor-compile writes bytes.
        from iree._runtime_libs import version as runtime_version
    except ImportError:
        from iree.runtime import version as runtime_version

    def described(module) -> str:
        revisions = ",".join(f"{k}={v}" for k, v in sorted(module.REVISIONS.items()))
        return f"{module.VERSION} ({revisions})"

    return described(compiler_version), described(runtime_version), _distribution_version("jaxlib")


def _distribution_version(name: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def host_fields(options: CompileOptions) -> dict[str, str]:
    """The machine the artifact's native code is for. llvm-cpu compiles for
    the host's architecture and OS; with target_cpu "host", for its exact CPU
    too, so a cache copied to another machine misses instead of loading code
    that its CPU may not run."""
    fields = {"machine": platform.machine(), "system": sys.platform}
    if options.target == Target.LLVM_CPU and options.target_cpu == "host":
        fields["cpu"] = host_cpu()
    return fields


@functools.lru_cache(maxsize=1)
def host_cpu() -> str:
    """This CPU's model and features, as the OS reports them: what LLVM's
    host CPU detection reads too (cpuid on x86, the ID registers on arm)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            first_processor = f.read().split("\n\n", 1)[0]
    except OSError:
        return platform.processor() or platform.machine()
    wanted = ("vendor_id", "cpu family", "model", "model name", "stepping", "flags", "isa", "uarch",
              "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "Features")
    fields = {}
    for line in first_processor.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() in wanted:
            fields[name.strip()] = " ".join(sorted(value.split())) if name.strip() in ("flags", "Features") else value.strip()
    return json.dumps(fields, sort_keys=True)


def describe(imported: ImportedModule, options: CompileOptions) -> str:
    """A short line for `webtensor-cache list`."""
    return f"{imported.source_name} for {options.target.value}" + ("" if options.sandbox else " (unsandboxed)")
