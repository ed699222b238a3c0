"""Running wasm32 artifacts in headless Chromium, for webtensor-run
--device=chromium: one call, in a Web Worker of web/run.html, served from
a temporary folder. Needs Node, Debian's chromium (apt-get install
chromium) and playwright-core in the folder WEBTENSOR_PLAYWRIGHT names
(npm install --prefix DIR playwright-core); WEBTENSOR_CHROMIUM names
another browser binary.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from ..runtime import errors
from ..runtime.deadline import check_deadline
from .node import error_of, find_node, read_output, stage_inputs
from .serve import serve

WEB_DIR = Path(__file__).parent
NO_CHROMIUM = (
    "--device=chromium needs Node, chromium (apt-get install nodejs chromium) and playwright-core "
    "(npm install --prefix DIR playwright-core, then WEBTENSOR_PLAYWRIGHT=DIR)"
)


def run_in_chromium(
    artifact: str | os.PathLike | bytes,
    inputs: Sequence[np.ndarray],
    function: str | None = None,
    fuel: int | None = None,
    timeout: float = 300,
    weights: str | os.PathLike | None = None,
    deadline: float | None = None,
) -> list[np.ndarray]:
    """Calls `function` (default: main) of a wasm32 artifact on `inputs` in
    headless Chromium, with the weights of the file `weights` (safetensors,
    .wtpkg or .irpa) bound, and `deadline` (seconds: the worker is stopped at it);
    returns its outputs."""
    node = find_node()
    browser = os.environ.get("WEBTENSOR_CHROMIUM") or shutil.which("chromium")
    playwright = os.environ.get("WEBTENSOR_PLAYWRIGHT")
    if not (node and browser and playwright and (Path(playwright) / "node_modules" / "playwright-core").is_dir()):
        raise errors.UnsupportedOperation(NO_CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="webtensor-chromium-") as folder:
        root = Path(folder)
        (root / "web").symlink_to(WEB_DIR)
        data = artifact if isinstance(artifact, bytes) else Path(artifact).read_bytes()
        (root / "artifact.vmfb").write_bytes(data)
        specs = stage_inputs(root, inputs)
        if weights is not None:
            shutil.copyfile(weights, root / "weights.bin")
        request = {
            "artifact": "/artifact.vmfb",
            "function": function,
            "fuel": None if fuel is None else str(int(fuel)),
            "deadline": check_deadline(deadline),
            "inputs": [{"dtype": s["dtype"], "shape": s["shape"], "url": "/" + Path(s["path"]).name} for s in specs],
            "weights": None if weights is None else "/weights.bin",
        }
        (root / "request.json").write_text(json.dumps(request))
        env = {**os.environ, "WEBTENSOR_CHROMIUM": browser, "WEBTENSOR_PAGE_TIMEOUT_MS": str(int(timeout * 1000))}
        with serve(folder) as base:
            try:
                done = subprocess.run(
                    [node, str(WEB_DIR / "chromium_page.mjs"), f"{base}/web/run.html", str(root / "page.png")],
                    capture_output=True, text=True, env=env, timeout=timeout + 60,
                )
            except subprocess.TimeoutExpired:
                raise errors.Timeout(f"the call did not finish in Chromium within {timeout:g} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        detail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise errors.ExecutionError(f"Chromium ended without a result: {detail}")
    page = json.loads(lines[-1])
    output = json.loads(page["output"])
    if page["state"] != "done":
        raise error_of(output["kind"], output["message"])
    return [read_output(o["dtype"], o["shape"], base64.b64decode(o["base64"])) for o in output]
