"""``dbskit sandbox clock [advance]``, ``outbox`` and ``statuses``: the sandbox clock, what the
Market sent, and the order states a test order may take, from the shell.

They follow ``cli/sandbox.py``: ``--url`` (``DBSKIT_URL``), the Sandbox-Token from the flag, the
variable or the data dir, the JSON answer on stdout, a refusal on stderr with status 1.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from dbskit.cli.sandbox import (
    DEFAULT_DATA_DIR,
    DEFAULT_URL,
    DataDir,
    SandboxToken,
    Url,
    _present,
    _request,
    _send,
)

clock = typer.Typer(
    help="The sandbox clock: show it, or move it ahead and run what falls due.",
    invoke_without_command=True,
)

# A big move runs in steps of a day by default, one progress line each: every event due in a
# step runs before the next step starts, as in one move (POST /sandbox/clock runs them in order).
DEFAULT_STEP = "1d"
# A guard against a step far too small for the move (a year in steps of a second): ours.
MAX_STEPS = 1_000
_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([dhms])")


def parse_duration(text: str) -> float:
    """Seconds of ``90``, ``90s``, ``30m``, ``1h30m``, ``2d``, ``1.5h``; > 0."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        parts = _DURATION.findall(text)
        if not parts or "".join(number + unit for number, unit in parts) != text:
            raise typer.BadParameter(
                f"{text!r}: expected seconds or a duration like 90s, 30m, 1h30m, 2d"
            ) from None
        seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds <= 0:
        raise typer.BadParameter(f"{text!r}: the clock only moves ahead")
    return seconds


@clock.callback()
def show_clock(
    context: typer.Context,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """The sandbox clock; prints {"now"}. ``advance`` moves it."""
    if context.invoked_subcommand is None:
        _send("GET", url, "/sandbox/clock", sandbox_token, data_dir)


@clock.command("advance")
def advance_clock(
    duration: Annotated[
        str | None,
        typer.Argument(help="How far: seconds, or 90s, 30m, 1h30m, 2d. Or give --to."),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(help="Move to this moment instead (ISO 8601 with an offset)."),
    ] = None,
    step: Annotated[
        str,
        typer.Option(show_default=True, help="Move at most this far per request; one line each."),
    ] = DEFAULT_STEP,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Move the clock ahead, running every event that falls due; a move longer than --step goes
    in steps with a progress line each on stderr. Prints {"now", "eventsRun" (all steps),
    "eventsRemaining"}."""
    if (duration is None) == (to is None):
        raise typer.BadParameter("give a duration or --to, not both and not neither")
    if duration is not None:
        total = parse_duration(duration)
    else:
        total = _seconds_until(str(to), url, sandbox_token, data_dir)
    steps = math.ceil(total / parse_duration(step))
    if steps > MAX_STEPS:
        raise typer.BadParameter(f"--step {step}: {steps} steps; at most {MAX_STEPS}")
    events_run, answer = 0, {}
    for number in range(1, steps + 1):
        # Each step ends at its share of the whole, so the steps add up to it exactly.
        seconds = total * number / steps - total * (number - 1) / steps
        body: dict[str, Any] = {"advanceSeconds": seconds}
        answer = _request("POST", url, "/sandbox/clock", sandbox_token, data_dir, json=body).json()
        events_run += answer["eventsRun"]
        if steps > 1:
            typer.echo(
                f"[{number}/{steps}] now {answer['now']}: {answer['eventsRun']} events run, "
                f"{answer['eventsRemaining']} due later",
                err=True,
            )
    answer["eventsRun"] = events_run
    typer.echo(json.dumps(answer, ensure_ascii=False))


def _seconds_until(moment: str, url: str, token: str | None, data_dir: Path) -> float:
    try:
        target = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"--to {moment!r}: expected ISO 8601") from None
    if target.tzinfo is None:
        raise typer.BadParameter(f"--to {moment!r}: give the offset (+03:00, Z)")
    now_text = _request("GET", url, "/sandbox/clock", token, data_dir).json()["now"]
    seconds = (target - datetime.fromisoformat(now_text.replace("Z", "+00:00"))).total_seconds()
    if seconds <= 0:
        raise typer.BadParameter(f"--to {moment!r}: the sandbox clock is already at {now_text}")
    return seconds


def show_outbox(
    campaign_id: Annotated[int | None, typer.Option(help="Only this campaign's messages.")] = None,
    order_id: Annotated[int | None, typer.Option(help="Only this order's messages.")] = None,
    url: Url = DEFAULT_URL,
    sandbox_token: SandboxToken = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """The e-mails and notifications the Market sent, with their attempts; prints
    {"messages": [...]}."""
    params = _present(campaignId=campaign_id, orderId=order_id)
    _send("GET", url, "/sandbox/outbox", sandbox_token, data_dir, params=params)


def show_statuses() -> None:
    """The states a test order can start in or be moved to, by delivery type: each status with
    its substatuses."""
    from dbskit.contract.enums import DeliveryType
    from dbskit.market.domain.status_model import valid_states

    kinds = {
        "DELIVERY, POST": DeliveryType.DELIVERY,
        "PICKUP": DeliveryType.PICKUP,
        "DIGITAL": DeliveryType.DIGITAL,
    }
    rows: list[tuple[str, str, str]] = []
    for kind, delivery_type in kinds.items():
        by_status: dict[str, list[str]] = {}
        for status, substatus in valid_states(delivery_type):
            by_status.setdefault(status.value, []).append(substatus.value)
        for name in sorted(by_status, key=_status_order):
            rows.append((kind, name, ", ".join(sorted(by_status[name]))))
    widths = [max(len(row[i]) for row in [*rows, _HEADER]) for i in range(2)]
    for row in [_HEADER, (*tuple("-" * width for width in widths), "-" * 11), *rows]:
        typer.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip())


_HEADER = ("delivery type", "status", "substatuses")
_STATUS_ORDER = ("PROCESSING", "DELIVERY", "PICKUP", "DELIVERED", "CANCELLED")


def _status_order(status: str) -> int:
    return _STATUS_ORDER.index(status) if status in _STATUS_ORDER else len(_STATUS_ORDER)


def register(sandbox: typer.Typer) -> None:
    """Add ``clock``, ``outbox`` and ``statuses`` to ``dbskit sandbox``."""
    sandbox.add_typer(clock, name="clock")
    sandbox.command("outbox")(show_outbox)
    sandbox.command("statuses")(show_statuses)
