"""The base every WebTensor pass derives from.

A pass is a frozen dataclass: its fields are its options, typed, with
defaults, spelled `name{field=value other=value}` on the command line. It runs
on the whole module. Bad input is reported with `report.error(op, message)` at
the op's location; the pass keeps going so that one run reports every
problem, and fails once at the end.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from iree.compiler import ir, passmanager


class Report:
    """Collects a pass's errors; emitting goes through MLIR so locations survive."""

    def __init__(self):
        self.error_count = 0

    def error(self, op: ir.Operation | ir.OpView, message: str) -> None:
        self.error_count += 1
        op.location.emit_error(message)

    @property
    def failed(self) -> bool:
        return self.error_count > 0


class PassOptionError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class ModulePass:
    """Subclasses set `name` and `summary` and implement `run`."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""

    def run(self, module: ir.Operation, report: Report) -> None:
        raise NotImplementedError

    def add_to(self, pm: passmanager.PassManager) -> None:
        def run(op, pass_):
            report = Report()
            self.run(op, report)
            if report.failed:
                pass_.signal_pass_failure()

        pm.add(run, name=self.name, argument=self.name, description=self.summary)

    @classmethod
    def from_options(cls, options: dict[str, str]) -> "ModulePass":
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, text in options.items():
            if key not in fields:
                valid = ", ".join(fields) or "none"
                raise PassOptionError(f"pass '{cls.name}' has no option '{key}' (options: {valid})")
            values[key] = _convert(cls.name, fields[key], text)
        return cls(**values)

    def spelling(self) -> str:
        """`name{a=1 b=2}` for the options that differ from the defaults."""
        changed = [
            f"{f.name}={_format(getattr(self, f.name))}"
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        ]
        return f"{self.name}{{{' '.join(changed)}}}" if changed else self.name


def _convert(pass_name: str, field: dataclasses.Field, text: str) -> Any:
    kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
    try:
        if kind == "bool":
            if text not in ("true", "false", "1", "0"):
                raise ValueError
            return text in ("true", "1")
        if kind == "int":
            return int(text, 0)
        if kind == "float":
            return float(text)
        return text
    except ValueError:
        raise PassOptionError(
            f"pass '{pass_name}': option '{field.name}' expects a {kind}, got '{text}'"
        ) from None


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
