"""Pass pipelines from text: `webtensor-x{opt=1},canonicalize,func.func(cse)`.

Our own passes are looked up in the registry; anything else is handed to
MLIR's pipeline parser, so upstream and IREE passes mix freely with ours. The
whole pipeline is parsed, and every name checked, before anything runs.
"""

from __future__ import annotations

import difflib
import re

from iree.compiler import ir, passmanager

from .base import ModulePass, PassOptionError

# Upstream and IREE passes worth suggesting when a name is misspelled.
KNOWN_UPSTREAM = (
    "canonicalize",
    "cse",
    "inline",
    "symbol-dce",
    "chlo-legalize-to-stablehlo",
    "iree-stablehlo-canonicalize",
    "iree-stablehlo-input-transformation-pipeline",
)


class PipelineError(ValueError):
    pass


def split_top_level(text: str) -> list[str]:
    """Splits at commas that are not inside (), {} or []."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
            if depth < 0:
                raise PipelineError(f"unbalanced '{char}' in pass pipeline '{text}'")
        elif char == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if depth != 0:
        raise PipelineError(f"unbalanced brackets in pass pipeline '{text}'")
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def parse_options(name: str, text: str) -> dict[str, str]:
    """`{a=1 b=x}` -> {"a": "1", "b": "x"}."""
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise PipelineError(f"malformed options for pass '{name}': '{text}'")
    options = {}
    for item in body[1:-1].split():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise PipelineError(f"malformed option '{item}' for pass '{name}'; write key=value")
        options[key] = value
    return options


def _element_name(element: str) -> str:
    for i, char in enumerate(element):
        if char in "{(":
            return element[:i].strip()
    return element.strip()


def build(
    pipeline: str | list[str | ModulePass],
    registry: dict[str, type[ModulePass]],
    context: ir.Context,
) -> tuple[passmanager.PassManager, list[str]]:
    """A ready PassManager, and the names of its elements in order.

    Elements are pipeline text or, from our own code, configured passes."""
    elements = split_top_level(pipeline) if isinstance(pipeline, str) else list(pipeline)
    pm = passmanager.PassManager("builtin.module", context=context)
    names = []
    for element in elements:
        if isinstance(element, ModulePass):
            names.append(element.name)
            element.add_to(pm)
            continue
        name = _element_name(element)
        names.append(name)
        if name in registry:
            options_text = element[len(name):]
            options = parse_options(name, options_text) if options_text.strip() else {}
            try:
                registry[name].from_options(options).add_to(pm)
            except PassOptionError as e:
                raise PipelineError(str(e)) from None
            continue
        try:
            pm.add(element)
        except ValueError as e:
            raise PipelineError(_upstream_error(name, str(e), registry)) from None
    return pm, names


def _upstream_error(name: str, mlir_message: str, registry) -> str:
    unknown = re.search(r"'([^']+)' does not refer to a registered pass", mlir_message)
    if unknown:
        return _unknown_pass_message(unknown.group(1), registry)
    if name in registry or name in KNOWN_UPSTREAM or "(" in name:
        return f"invalid pass pipeline element '{name}': {mlir_message.strip().splitlines()[-1]}"
    return _unknown_pass_message(name, registry)


def _unknown_pass_message(name: str, registry) -> str:
    candidates = list(registry) + list(KNOWN_UPSTREAM)
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown pass '{name}'{hint}"
