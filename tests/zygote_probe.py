"""A child's entry for tests/unit/test_zygote.py: forked by a zygote
(runtime/zygote.py), it reports the process state the fork gave it, then
does what PROBE_ACTION says.

PROBE_PRELOAD, in the zygote's environment, makes preload() fail or start a
thread, which must keep the zygote from becoming ready.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

ENTRY = "webtensor.tests.zygote_probe:main"


def preload() -> None:
    what = os.environ.get("PROBE_PRELOAD")
    if what == "raise":
        raise RuntimeError("a simulated import failure")
    if what == "thread":
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()


def main(argv: list[str]) -> None:
    state = {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "process_group": os.getpgrp(),
        "session": os.getsid(0),
        "cwd": os.getcwd(),
        "path0": sys.path[0],
        "argv": argv,
        "variable": os.environ.get("PROBE_VARIABLE"),
        "stdin": sys.stdin.buffer.read().decode(),
        "open_fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
        "threads": len(os.listdir("/proc/self/task")),
    }
    os.write(1, json.dumps(state).encode())
    os.write(2, b"to stderr")
    action = os.environ.get("PROBE_ACTION", "exit 0")
    if action.startswith("exit "):
        os._exit(int(action.split()[1]))
    if action == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if action == "sleep":
        os.close(1)
        os.close(2)
        time.sleep(3600)
    os._exit(99)
