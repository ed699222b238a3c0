"""The committed web runtime is what web/build.sh built from the committed
sources: its checksum and the checksums of every input (our C, patches,
toolchain file and the script itself) match web/dist/BUILD_RECORD.json.
Changing a source without rebuilding, or the .wasm by hand, fails here."""

import hashlib
import json
from pathlib import Path

import webtensor.web

WEB = Path(webtensor.web.__file__).parent
RECORD = json.loads((WEB / "dist" / "BUILD_RECORD.json").read_text())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_runtime_matches_its_build_record():
    for name, digest in RECORD["outputs"].items():
        assert sha256(WEB / name) == digest, f"web/{name} is not the build's output; run web/build.sh"


def test_the_build_inputs_match_the_record():
    recorded = RECORD["inputs"]
    current = sorted(
        str(p.relative_to(WEB))
        for p in [*WEB.glob("src/*.c"), *WEB.glob("patches/*.patch"), WEB / "cmake" / "wasm32-debian.cmake", WEB / "build.sh"]
    )
    assert sorted(recorded) == current, "web/ sources were added or removed since the build; run web/build.sh"
    for name in current:
        assert sha256(WEB / name) == recorded[name], f"web/{name} changed since the build; run web/build.sh"


def test_the_record_pins_iree_and_flatcc():
    assert len(RECORD["iree_commit"]) == 40 and len(RECORD["flatcc_commit"]) == 40
    assert (WEB / "build.sh").read_text().count(RECORD["iree_commit"]) == 1
