"""webtensor-cache: look into the compile cache, or empty it.

    webtensor-cache info        directory, entries, size, hits, misses, rejected
    webtensor-cache list        one line per entry, most recently used first
    webtensor-cache clear       remove every entry and reset the counters

The directory is $WEBTENSOR_CACHE_DIR, else $XDG_CACHE_HOME/webtensor, else
~/.cache/webtensor; --cache-dir overrides it. This tool needs only the
runtime.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Sequence

from .common import run_tool

PROG = "webtensor-cache"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Inspect or clear WebTensor's compile cache.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="the directory: $WEBTENSOR_CACHE_DIR, else $XDG_CACHE_HOME/webtensor, else ~/.cache/webtensor",
    )
    parser.add_argument("command", choices=("info", "list", "clear"), help="what to do")
    parser.add_argument("--cache-dir", metavar="DIR", help="the cache directory (default: see below)")
    return parser


def run(args: argparse.Namespace) -> int:
    from ..runtime.artifact_cache import ArtifactCache

    cache = ArtifactCache(args.cache_dir)
    if args.command == "info":
        stats = cache.stats()
        print(f"directory: {stats.directory}")
        print(f"entries: {stats.entries}")
        print(f"size: {_size(stats.bytes)} of {_size(stats.max_bytes)}")
        print(f"hits: {stats.hits}")
        print(f"misses: {stats.misses}")
        print(f"rejected: {stats.rejected}")
    elif args.command == "list":
        for entry in cache.entries():
            used = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.last_used))
            print(f"{entry.key[:16]}  {_size(entry.size):>10}  {used}  {entry.description}")
    else:
        removed, size = cache.clear()
        print(f"removed {removed} entries ({_size(size)}) from {cache.directory}")
    return 0


def _size(count: int) -> str:
    value, unit = float(count), "B"
    for larger in ("KiB", "MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(PROG, build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
