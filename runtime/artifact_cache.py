"""A content-addressed cache of compiled artifacts, authenticated with a
per-installation secret.

The compiler decides what an entry is the artifact of (the key: a SHA-256
over the model's bytes, the target, the host CPU, the sandbox policy and
limits, the WebTensor and IREE versions; see compiler/artifact_key.py). This module
only stores bytes under a key and gives back exactly the bytes stored.

Every entry carries an HMAC-SHA256, keyed with a secret that is created once
per cache directory (readable by its owner only), over its key and its
contents. An entry that was changed, truncated, written with another secret
or moved to another key fails the check: it is deleted, counted as
`rejected`, and the lookup is a miss, so its bytes are never loaded.

    DIR/secret          32 random bytes, mode 0600
    DIR/stats.json      hits, misses and rejected lookups since the last clear
    DIR/entries/KEY     "WTC1", HMAC (32 bytes), description length (u32 LE),
                        description (UTF-8), artifact bytes

Counters are kept on disk, shared by every process that uses the directory,
so `webtensor-cache info` shows them; entries and sizes are read from the
directory itself. When entries pass `max_bytes`, the least recently used
(by modification time, which a hit refreshes) are removed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import re
import secrets
import struct
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: counters are updated without a lock
    fcntl = None

ENTRY_MAGIC = b"WTC1"
SECRET_BYTES = 32
DEFAULT_MAX_BYTES = 2 << 30
MAX_ENTRY_BYTES = (1 << 34) + (1 << 20)  # the largest artifact (runtime/artifact.py), and a header
MAX_DESCRIPTION_BYTES = 1024
STALE_TEMP_SECONDS = 3600

_MAC_BYTES = hashlib.sha256().digest_size
_HEADER = len(ENTRY_MAGIC) + _MAC_BYTES + 4
_KEY = re.compile(r"[0-9a-f]{64}\Z")
_COUNTERS = ("hits", "misses", "rejected")
_TEMP_PREFIX = ".tmp-"


class CacheWarning(UserWarning):
    """The cache could not be read or written; the compile went on without it."""


def default_directory() -> Path:
    """$WEBTENSOR_CACHE_DIR, else $XDG_CACHE_HOME/webtensor, else ~/.cache/webtensor."""
    explicit = os.environ.get("WEBTENSOR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "webtensor"


@dataclasses.dataclass(frozen=True)
class CacheStats:
    """What is in a cache directory, and how lookups went since the last clear.

    `misses` counts every lookup that returned nothing, `rejected` those of
    them that found an entry failing its authentication check."""

    directory: str
    entries: int
    bytes: int
    max_bytes: int
    hits: int
    misses: int
    rejected: int


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """One stored artifact. `description` is read without authentication,
    for display only."""

    key: str
    size: int
    last_used: float
    description: str


class ArtifactCache:
    """Artifact bytes by key, in one directory. Nothing touches the disk
    until the first call."""

    def __init__(self, directory: str | os.PathLike | None = None, max_bytes: int = DEFAULT_MAX_BYTES):
        self.directory = Path(directory) if directory is not None else default_directory()
        self.max_bytes = max_bytes
        self._secret: bytes | None = None

    @property
    def entries_dir(self) -> Path:
        return self.directory / "entries"

    @property
    def secret_path(self) -> Path:
        return self.directory / "secret"

    def get(self, key: str) -> bytes | None:
        """The artifact stored under `key` if its entry is intact; None otherwise."""
        path = self._entry_path(key)
        secret = self._secret_key()
        try:
            data = self._read_verified(path, key, secret)
        except FileNotFoundError:
            self._count(misses=1)
            return None
        if data is None:
            _remove(path)
            self._count(misses=1, rejected=1)
            return None
        _touch(path)
        self._count(hits=1)
        return data

    def put(self, key: str, data: bytes, description: str = "") -> None:
        """Stores `data` under `key`, atomically: readers see the old entry,
        no entry, or the whole new one. An artifact that would not fit in
        max_bytes is not stored."""
        path = self._entry_path(key)
        secret = self._secret_key()
        size = _HEADER + MAX_DESCRIPTION_BYTES + len(data)
        if size > self.max_bytes:
            return
        info = _description_bytes(description)
        header = struct.pack("<I", len(info)) + info
        mac = _mac(secret, key, header, data)
        self.entries_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.entries_dir, prefix=_TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(ENTRY_MAGIC + mac + header)
                f.write(data)
            os.replace(temp, path)
        except BaseException:
            _remove(Path(temp))
            raise
        self._evict(keep=path.name)

    def discard(self, key: str) -> bool:
        """Removes the entry for `key`; False if there was none."""
        return _remove(self._entry_path(key))

    def entries(self) -> list[CacheEntry]:
        """Every entry, most recently used first."""
        found = []
        for path, stat in self._entry_files():
            found.append(CacheEntry(path.name, stat.st_size, stat.st_mtime, _read_description(path)))
        return sorted(found, key=lambda e: e.last_used, reverse=True)

    def stats(self) -> CacheStats:
        files = self._entry_files()
        counters = self._read_counters()
        return CacheStats(
            directory=str(self.directory),
            entries=len(files),
            bytes=sum(stat.st_size for _, stat in files),
            max_bytes=self.max_bytes,
            **counters,
        )

    def clear(self) -> tuple[int, int]:
        """Removes every entry and resets the counters; keeps the secret.
        Returns how many entries and bytes were removed."""
        removed = size = 0
        for path, stat in self._entry_files(include_temp=True):
            if _remove(path) and not path.name.startswith(_TEMP_PREFIX):
                removed += 1
                size += stat.st_size
        with self._counter_lock():
            self._write_counters(dict.fromkeys(_COUNTERS, 0))
        return removed, size

    # --- entries ---------------------------------------------------------------

    def _entry_path(self, key: str) -> Path:
        if not isinstance(key, str) or not _KEY.match(key):
            raise ValueError(f"a cache key is 64 lowercase hex digits (a SHA-256), got {key!r}")
        return self.entries_dir / key

    def _read_verified(self, path: Path, key: str, secret: bytes) -> bytes | None:
        """The artifact in the entry at `path`, or None if the entry is not
        one this cache wrote for `key` with `secret`, whole and unchanged."""
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < _HEADER or size > MAX_ENTRY_BYTES:
                return None
            start = f.read(_HEADER)
            if len(start) < _HEADER:  # truncated since the fstat
                return None
            magic, stored_mac, length = start[:4], start[4 : 4 + _MAC_BYTES], start[4 + _MAC_BYTES :]
            (description_length,) = struct.unpack("<I", length)
            if magic != ENTRY_MAGIC or description_length > MAX_DESCRIPTION_BYTES:
                return None
            header = length + f.read(description_length)
            data = f.read()
        if len(header) != 4 + description_length:
            return None
        if not hmac.compare_digest(stored_mac, _mac(secret, key, header, data)):
            return None
        return data

    def _entry_files(self, include_temp: bool = False) -> list[tuple[Path, os.stat_result]]:
        try:
            scan = list(os.scandir(self.entries_dir))
        except FileNotFoundError:
            return []
        files = []
        for item in scan:
            temp = item.name.startswith(_TEMP_PREFIX)
            if not (_KEY.match(item.name) or (include_temp and temp)):
                continue
            try:
                files.append((Path(item.path), item.stat(follow_symlinks=False)))
            except FileNotFoundError:
                continue  # removed by another process meanwhile
        return files

    def _evict(self, keep: str) -> None:
        """Removes the least recently used entries until the rest fit in
        max_bytes, and temporary files that a killed writer left behind."""
        now = time.time()
        for path, stat in self._entry_files(include_temp=True):
            if path.name.startswith(_TEMP_PREFIX) and now - stat.st_mtime > STALE_TEMP_SECONDS:
                _remove(path)
        files = sorted(self._entry_files(), key=lambda item: item[1].st_mtime)
        total = sum(stat.st_size for _, stat in files)
        for path, stat in files:
            if total <= self.max_bytes:
                break
            if path.name != keep and _remove(path):
                total -= stat.st_size

    # --- the secret -------------------------------------------------------------

    def _secret_key(self) -> bytes:
        """This directory's secret, created on first use. A secret that is
        not a private file of the right size, owned by this user, is replaced:
        every entry made with the old one then fails its check."""
        if self._secret is not None:
            return self._secret
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for _ in range(3):
            secret = _read_secret(self.secret_path)
            if secret is not None:
                self._secret = secret
                return secret
            _create_secret(self.secret_path)
        raise OSError(f"{self.secret_path}: cannot create the cache's secret")

    # --- counters ----------------------------------------------------------------

    def _count(self, **deltas: int) -> None:
        """Adds to the shared counters. They are for people to read: a cache
        whose directory is read-only still serves its entries, uncounted."""
        try:
            with self._counter_lock():
                counters = self._read_counters()
                for name, delta in deltas.items():
                    counters[name] += delta
                self._write_counters(counters)
        except OSError:
            pass

    def _read_counters(self) -> dict[str, int]:
        try:
            stored = json.loads((self.directory / "stats.json").read_text())
        except (OSError, ValueError):
            stored = {}
        if not isinstance(stored, dict):
            stored = {}
        return {name: _count_value(stored.get(name)) for name in _COUNTERS}

    def _write_counters(self, counters: dict[str, int]) -> None:
        fd, temp = tempfile.mkstemp(dir=self.directory, prefix=_TEMP_PREFIX)
        with os.fdopen(fd, "w") as f:
            json.dump(counters, f)
        os.replace(temp, self.directory / "stats.json")

    @contextmanager
    def _counter_lock(self):
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if fcntl is None:
            yield
            return
        fd = os.open(self.directory / "stats.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _mac(secret: bytes, key: str, header: bytes, data: bytes) -> bytes:
    mac = hmac.new(secret, ENTRY_MAGIC + key.encode("ascii") + header, hashlib.sha256)
    mac.update(data)
    return mac.digest()


def _description_bytes(description: str) -> bytes:
    encoded = description.encode("utf-8")[:MAX_DESCRIPTION_BYTES]
    return encoded.decode("utf-8", errors="ignore").encode("utf-8")


def _read_description(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            start = f.read(_HEADER)
            if len(start) < _HEADER or start[:4] != ENTRY_MAGIC:
                return ""
            (length,) = struct.unpack("<I", start[-4:])
            text = f.read(min(length, MAX_DESCRIPTION_BYTES)).decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "".join(c if c.isprintable() else "?" for c in text)


def _read_secret(path: Path) -> bytes | None:
    """The secret, or None if there is none or it cannot be trusted (the
    untrusted file is removed)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError:  # a symbolic link (ELOOP), or unreadable
        _remove(path)
        return None
    with os.fdopen(fd, "rb") as f:
        stat = os.fstat(f.fileno())
        secret = f.read(SECRET_BYTES + 1)
    owner_ok = not hasattr(os, "getuid") or stat.st_uid == os.getuid()
    private = os.name != "posix" or stat.st_mode & 0o077 == 0
    if len(secret) == SECRET_BYTES and owner_ok and private:
        return secret
    _remove(path)
    return None


def _create_secret(path: Path) -> None:
    """Writes a fresh secret to a private temporary file, then links it into
    place: a concurrent reader sees no secret or a whole one, and of two
    processes creating it at once, one wins and both use its secret."""
    temp = path.with_name(f"{_TEMP_PREFIX}secret-{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(SECRET_BYTES))
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
    finally:
        _remove(temp)


def _remove(path: Path) -> bool:
    try:
        os.unlink(path)
        return True
    except FileNotFoundError:
        return False


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass  # read-only, or removed meanwhile: only the eviction order suffers


def _count_value(value) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def warn(error: OSError, action: str) -> None:
    warnings.warn(f"the compile cache could not {action}: {error}; compiling without it", CacheWarning, stacklevel=3)
