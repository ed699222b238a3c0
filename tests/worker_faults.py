"""The compiler worker with a simulated failure:
`python -m webtensor.tests.worker_faults`, in place of
compiler/worker_main.py, for tests/unit/test_isolation.py.

Failures that no input is known to cause on demand (a crash, a hang, a
memory hog, a garbled answer) are simulated here, in test code: the
shipped worker has no hook. The test points compiler/worker.py's
WORKER_MODULE at this module and names the fault in FAULT_VARIABLE, which
the worker inherits. The worker limits itself first, as the real one does,
then fails where it would have compiled.
"""

from __future__ import annotations

import mmap
import os
import signal
import time

from webtensor.compiler import worker_main
from webtensor.compiler.worker_wire import encode_frame

MODULE = "webtensor.tests.worker_faults"
FAULT_VARIABLE = "WEBTENSOR_TEST_WORKER_FAULT"

# Faults that answer with these bytes instead of compiling.
ANSWERS = {
    "garbage": b"WTW1 this is not an answer",
    "bad-diagnostic": encode_frame(
        {
            "kind": "error",
            "summary": "s",
            "diagnostics": [{"severity": "fatal", "message": "m", "location": None, "notes": []}],
            "failed_phase": "input",
        }
    ),
}


def fail(fault: str):
    """Does what `fault` names, in place of a compile."""
    if fault == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    if fault == "abort":
        os.abort()
    if fault == "sleep":
        time.sleep(3600)
    if fault == "spin":
        while True:
            pass
    if fault == "hog":
        hoard = []  # address space, never touched: fails fast and uses no memory
        while True:
            hoard.append(mmap.mmap(-1, 256 << 20))
    if fault == "exit":
        os._exit(3)
    if fault == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if fault == "raise":
        raise TypeError("a simulated bug")
    raise ValueError(f"unknown worker fault '{fault}'")


def main(argv: list[str] | None = None) -> None:
    fault = os.environ[FAULT_VARIABLE]
    if fault in ANSWERS:
        worker_main._answer = lambda request: ANSWERS[fault]
    else:
        worker_main._compile = lambda request: fail(fault)
    worker_main.main(argv)


if __name__ == "__main__":
    main()
