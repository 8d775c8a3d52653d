"""The ``rule`` and ``decision`` markers: where a test may give them and what they may name.

``@pytest.mark.rule("R-xxx", ...)`` names the rules of RULES.md (R-xxx, C-xx, OQ-xx) a test
checks; ``@pytest.mark.decision("<heading>")`` names a ``##`` or ``###`` section of
docs/decisions.md, for what dbskit decided itself. Both go on the test function (a decorator, or
``pytest.param(..., marks=...)``), never on a module, class or package, so that each test is
credited with what it checks and nothing else. scripts/rules_doc.py builds docs/rules.md from
them through ``--rules-report``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

RULE = "rule"
DECISION = "decision"
KINDS = (RULE, DECISION)

# Tests that speak to the service must say which rule or decision they check.
REQUIRED_IN = ("http", "e2e", "schema")

RULES_FILE = Path("shared") / "reference" / "RULES.md"
DECISIONS_FILE = Path("docs") / "decisions.md"
RULE_HEADING = re.compile(r"^\*\*((?:R|C|OQ)-\d+) — (.+?)\*\*", re.MULTILINE)
DECISION_HEADING = re.compile(r"^#{2,3} (.+?)[ \t]*$", re.MULTILINE)

# Rules that describe the real Market's behaviour outside what an emulator or a store can show.
NOT_TESTABLE: dict[str, str] = {
    "R-038": "the push API's retirement dates concern the real Market's schedule",
    "R-051": "hiding an offer for 10-15 minutes happens in the Market's storefront",
    "R-087": "volume-based limits are recalculated by the real Market; no dbskit method has one",
    "R-094": "error counts are watched in the real seller account",
    "R-110": "billing and the quality index do not exist in the sandbox",
}


def rules_file(root: Path) -> Path | None:
    """RULES.md beside the repository: ``shared/reference/RULES.md`` in a folder above ``root``."""
    for folder in root.resolve().parents:
        path = folder / RULES_FILE
        if path.is_file():
            return path
    return None


def reference_rules(path: Path) -> list[tuple[str, str]]:
    """(id, title) of every rule, conflict and open question of RULES.md, in its order."""
    found: list[tuple[str, str]] = RULE_HEADING.findall(path.read_text(encoding="utf-8"))
    return found


def decision_headings(root: Path) -> list[str]:
    """The text of every ``##`` and ``###`` heading of docs/decisions.md, in its order."""
    path = root / DECISIONS_FILE
    if not path.is_file():
        return []
    headings: list[str] = DECISION_HEADING.findall(path.read_text(encoding="utf-8"))
    return headings


def add_options(parser: pytest.Parser) -> None:
    parser.addoption(
        "--rules-report",
        default=None,
        help='write {"rules": {rule id: [test ids]}, "decisions": {heading: [test ids]}} '
        "of the collected tests to this JSON file",
    )


def check_collection(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse misplaced or unknown markers and unmarked service tests; write the report."""
    problems = [
        *_misplaced(items),
        *_unknown(config.rootpath, items),
        *_unmarked(config.rootpath, items),
    ]
    if problems:
        raise pytest.UsageError(
            "rule and decision markers:\n  " + "\n  ".join(dict.fromkeys(problems))
        )
    _write_report(config, items)


def _names(item: pytest.Item, kind: str) -> Iterable[object]:
    for marker in item.iter_markers(kind):
        yield from marker.args


def _misplaced(items: list[pytest.Item]) -> Iterable[str]:
    for item in items:
        for kind in KINDS:
            for node, _ in item.iter_markers_with_node(kind):
                if node is not item:
                    where = type(node).__name__.lower()
                    yield (
                        f"{node.nodeid or '<root>'} ({where}): @pytest.mark.{kind} must be given "
                        "on each test function, not on a module, class or package"
                    )


def _unknown(root: Path, items: list[pytest.Item]) -> Iterable[str]:
    path = rules_file(root)
    rule_ids = {rule_id for rule_id, _ in reference_rules(path)} if path else None
    headings = set(decision_headings(root))
    for item in items:
        test = item.nodeid.split("[", 1)[0]
        for kind in KINDS:
            if any(not marker.args for marker in item.iter_markers(kind)):
                yield f"{test}: @pytest.mark.{kind}() names nothing"
        for rule_id in _names(item, RULE):
            if not isinstance(rule_id, str):
                yield f"{test}: rule id {rule_id!r} is not a string"
            elif rule_id in NOT_TESTABLE:
                yield f"{test}: {rule_id} is not testable ({NOT_TESTABLE[rule_id]})"
            elif rule_ids is not None and rule_id not in rule_ids:
                yield f"{test}: unknown rule id {rule_id!r} (not in {path})"
        for heading in _names(item, DECISION):
            if heading not in headings:
                yield f"{test}: unknown decision {heading!r} (no such heading in {DECISIONS_FILE})"


def _unmarked(root: Path, items: list[pytest.Item]) -> Iterable[str]:
    for item in items:
        try:
            parts = Path(item.path).relative_to(root).parts
        except ValueError:
            continue
        in_scope = len(parts) > 2 and parts[0] == "tests" and parts[1] in REQUIRED_IN
        if in_scope and all(item.get_closest_marker(kind) is None for kind in KINDS):
            yield (
                f"{item.nodeid.split('[', 1)[0]}: needs @pytest.mark.rule('R-xxx') or "
                "@pytest.mark.decision('<heading of docs/decisions.md>')"
            )


def _write_report(config: pytest.Config, items: list[pytest.Item]) -> None:
    target = config.getoption("--rules-report", default=None)
    if not target:
        return
    report: dict[str, dict[str, list[str]]] = {"rules": {}, "decisions": {}}
    for item in items:
        for kind, section in ((RULE, "rules"), (DECISION, "decisions")):
            for name in dict.fromkeys(_names(item, kind)):
                report[section].setdefault(str(name), []).append(item.nodeid)
    Path(target).write_text(json.dumps(report, indent=1, sort_keys=True), encoding="utf-8")
