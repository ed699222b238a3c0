"""Running code in a fresh interpreter that has no compiler: a host that
installed only the runtime. JAX, jaxlib and IREE's compiler cannot be
imported there at all, so a test fails if the runtime reaches for them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

_BLOCK = """
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('jax', 'jaxlib') or name.startswith(('iree.compiler', 'webtensor.compiler')):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, _Block())
"""


def run_without_compiler(script: str) -> subprocess.CompletedProcess:
    """Runs `script` (dedented) with the compiler and JAX blocked."""
    code = _BLOCK + textwrap.dedent(script)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
