# lit configuration for WebTensor's IR tests.
#
# Tests run `webtensor-opt`, `webtensor-compile` and `webtensor-run` from the
# Python environment that runs lit, and check their output with the Python
# `filecheck` (no LLVM build needed).

import os
import sys

import lit.formats

config.name = "webtensor"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.test_source_root, "Output")

bin_dir = os.path.dirname(sys.executable)
config.environment["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
for name in ("HOME", "TMPDIR", "WEBTENSOR_CACHE_DIR", "XDG_CACHE_HOME"):
    if name in os.environ:
        config.environment[name] = os.environ[name]
# Artifacts the tests compile never land in the user's compile cache.
config.environment.setdefault("WEBTENSOR_CACHE_DIR", os.path.join(config.test_exec_root, "cache"))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
