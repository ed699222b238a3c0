"""WebTensor's passes, by name.

Each pass lives in its own module named after it (`webtensor-legalize-composite`
in `legalize_composite.py`) and is tested by a lit file of the same name under
tests/lit/passes/.
"""

from __future__ import annotations

from .base import ModulePass, Report
from .legalize_composite import LegalizeComposite

PASSES: dict[str, type[ModulePass]] = {
    cls.name: cls
    for cls in (
        LegalizeComposite,
    )
}

__all__ = ["PASSES", "ModulePass", "Report"]
