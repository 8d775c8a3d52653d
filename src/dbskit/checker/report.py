"""The checker's report: a table for people, JSON for CI."""

from __future__ import annotations

import json
from collections.abc import Sequence

from dbskit.cart_rules.findings import Finding, Severity
from dbskit.cart_rules.scenario import Auth
from dbskit.checker.runner import Run

_COLUMNS = ("severity", "scenario", "check", "rule", "path", "what was wrong")
_MAX_WIDTH = 40  # longer paths and names wrap onto the next lines of their cell
# A store refusing the push token: R-039's 403, or the 401 many web frameworks answer.
_TOKEN_REFUSALS = frozenset({401, 403})


def has_errors(run: Run) -> bool:
    return any(finding.severity is Severity.ERROR for finding in run.findings)


def token_refused(run: Run) -> bool:
    """Every call that carried the push token was refused for it: the token (or the way it
    travels) is not the store's, and every other finding follows from that."""
    with_token = [o for o in run.outcomes if o.scenario.auth is Auth.GOOD]
    return bool(with_token) and all(o.status in _TOKEN_REFUSALS for o in with_token)


def _counts(findings: Sequence[Finding]) -> tuple[int, int]:
    errors = sum(f.severity is Severity.ERROR for f in findings)
    return errors, len(findings) - errors


def text_report(run: Run, url: str) -> str:
    errors, warnings = _counts(run.findings)
    lines = [
        f"POST {url.rstrip('/')}/cart: {len(run.outcomes)} requests in {run.elapsed:.2f} s, "
        f"{len(run.checks)} checks each",
        "",
    ]
    if run.findings:
        rows = [
            (f.severity.value, f.scenario, f.check, f.rule, f.path or "-", f.message)
            for f in run.findings
        ]
        lines += _table(rows)
        lines.append("")
    verdict = "FAILED" if errors else "PASSED"
    lines.append(f"{verdict}: {errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    header = [*_COLUMNS[:-1], ""]  # the last column is never padded, so it never wraps
    widths = [
        min(_MAX_WIDTH, max(len(row[i]) for row in [header, *rows])) for i in range(len(header))
    ]
    widths[-1] = max(len(row[-1]) for row in [_COLUMNS, *rows])
    out = [_row(_COLUMNS, widths), "  ".join("-" * width for width in widths)]
    for row in rows:
        out.append(_row(row, widths))
    return out


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    chunks = [
        [cell[i : i + width] for i in range(0, max(len(cell), 1), width)] or [""]
        for cell, width in zip(cells, widths, strict=True)
    ]
    height = max(len(chunk) for chunk in chunks)
    lines = []
    for index in range(height):
        parts = [
            (chunk[index] if index < len(chunk) else "").ljust(width)
            for chunk, width in zip(chunks, widths, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def json_report(run: Run, url: str) -> str:
    errors, warnings = _counts(run.findings)
    document = {
        "url": url.rstrip("/") + "/cart",
        "passed": errors == 0,
        "errors": errors,
        "warnings": warnings,
        "elapsedSeconds": round(run.elapsed, 3),
        "checks": [
            {"check": check.name, "rule": check.rule, "description": check.describe}
            for check in run.checks
        ],
        "requests": [
            {
                "scenario": outcome.scenario.name,
                "status": outcome.status,
                "elapsedSeconds": round(outcome.elapsed, 3),
            }
            for outcome in run.outcomes
        ],
        "findings": [
            {
                "severity": f.severity.value,
                "scenario": f.scenario,
                "check": f.check,
                "rule": f.rule,
                "path": f.path,
                "message": f.message,
            }
            for f in run.findings
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
