"""Where a failed compile's input is saved, so that one command reproduces it.

An input that already is a file needs no copy: the command names the file.
Otherwise, with `WEBTENSOR_REPRODUCER_DIR` set, the input is saved there, as
the user asked. Without it, it goes to a private directory of this user's
under the system's temporary directory, one folder per input (named by its
SHA-256, so the same failing input is kept once), and that directory keeps
the MAX_KEPT most recent of them, in at most MAX_TOTAL_BYTES; an input
larger than MAX_SAVED_BYTES is not saved unasked. A service that compiles
untrusted models, many of which fail by design, cannot fill its disk with
copies of them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile

ENVIRONMENT_VARIABLE = "WEBTENSOR_REPRODUCER_DIR"
MAX_KEPT = 16
MAX_TOTAL_BYTES = 256 << 20
MAX_SAVED_BYTES = 64 << 20


def save(payload: str | bytes) -> str | None:
    """The path the input was saved to, or None if it was too large to keep unasked."""
    data = payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass")
    name = "input.mlirbc" if isinstance(payload, bytes) else "input.mlir"
    asked = os.environ.get(ENVIRONMENT_VARIABLE)
    if asked:
        os.makedirs(asked, exist_ok=True)
        return _write(os.path.join(asked, name), data)
    if len(data) > MAX_SAVED_BYTES:
        return None
    root = default_directory()
    folder = os.path.join(root, hashlib.sha256(data).hexdigest()[:16])
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = _write(os.path.join(folder, name), data)
    os.utime(folder)  # the most recent, even if it was saved before
    _prune(root, keep=folder)
    return path


def default_directory() -> str:
    """This user's reproducer directory under the temporary directory."""
    root = os.path.join(tempfile.gettempdir(), f"webtensor-reproducers-{os.getuid()}")
    os.makedirs(root, mode=0o700, exist_ok=True)
    return root


def _write(path: str, data: bytes) -> str:
    with open(path, "wb") as f:
        f.write(data)
    return path


def _prune(root: str, keep: str) -> None:
    """Removes the oldest folders beyond MAX_KEPT or MAX_TOTAL_BYTES, never `keep`."""
    folders = []
    for entry in os.scandir(root):
        if entry.is_dir(follow_symlinks=False):
            size = sum(f.stat().st_size for f in os.scandir(entry.path) if f.is_file(follow_symlinks=False))
            folders.append((entry.stat().st_mtime, entry.path, size))
    folders.sort(reverse=True)  # newest first
    total = 0
    for count, (_, path, size) in enumerate(folders, start=1):
        total += size
        if path != keep and (count > MAX_KEPT or total > MAX_TOTAL_BYTES):
            shutil.rmtree(path, ignore_errors=True)
