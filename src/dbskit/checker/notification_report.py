"""``dbskit check-notifications``' report: one line per check and a summary, or JSON for CI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dbskit.checker.notification_checks import CheckResult, CheckState
from dbskit.checker.notification_runner import Exchange, Exchanges


def has_failures(results: Sequence[CheckResult]) -> bool:
    return any(result.state is CheckState.FAILED for result in results)


def _count(results: Sequence[CheckResult], state: CheckState) -> int:
    return sum(result.state is state for result in results)


def summary(results: Sequence[CheckResult]) -> str:
    failed = _count(results, CheckState.FAILED)
    skipped = _count(results, CheckState.SKIPPED)
    verdict = "FAILED" if failed else "PASSED"
    return f"{verdict}: {failed} of {len(results)} check(s) failed, {skipped} not judged"


def text_report(exchanges: Exchanges, results: Sequence[CheckResult]) -> str:
    name_width = max((len(result.check) for result in results), default=0)
    lines = [
        f"POST {exchanges.url}: {len(exchanges.exchanges)} notifications in "
        f"{exchanges.elapsed:.2f} s",
        "",
    ]
    for result in results:
        lines.append(
            f"{result.state.value:<7}  {result.check:<{name_width}}  {result.rule:<5}  "
            f"{result.failure}"
        )
    lines += ["", summary(results)]
    return "\n".join(lines)


def _exchange_document(exchange: Exchange) -> dict[str, Any]:
    verdict = exchange.verdict
    return {
        "probe": exchange.probe.name,
        "notificationType": exchange.probe.notification_type,
        "deadlineSeconds": exchange.probe.deadline,
        "httpStatus": exchange.status,
        "elapsedSeconds": round(exchange.elapsed, 3),
        # As the outbox records the attempt (GET /sandbox/outbox).
        "result": verdict.result.value,
        "errorType": verdict.error_type.value if verdict.error_type else None,
        "errorSubtype": verdict.error_subtype.value if verdict.error_subtype else None,
        "message": verdict.message,
    }


def json_report(exchanges: Exchanges, results: Sequence[CheckResult]) -> str:
    document = {
        "url": exchanges.url,
        "passed": not has_failures(results),
        "failed": _count(results, CheckState.FAILED),
        "skipped": _count(results, CheckState.SKIPPED),
        "elapsedSeconds": round(exchanges.elapsed, 3),
        "checks": [
            {
                "check": result.check,
                "rule": result.rule,
                "description": result.description,
                "state": result.state.value,
                "errorType": result.error_type.value if result.error_type else None,
                "errorSubtype": result.error_subtype.value if result.error_subtype else None,
                "message": result.message,
            }
            for result in results
        ],
        "notifications": [_exchange_document(exchange) for exchange in exchanges.exchanges],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
