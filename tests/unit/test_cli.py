"""The command line: help everywhere, and flags that mean what their DBSKIT_* variables mean."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
import typer
from typer.testing import CliRunner

from dbskit.cli import app
from dbskit.cli._bind import CannotListen, check_can_listen
from dbskit.cli._choices import (
    BuyerReason,
    Fault,
    OrderDeliveryType,
    PushAuth,
    StartStatus,
    TokenKind,
)
from dbskit.cli._options import settings_from
from dbskit.cli.sandbox import DEFAULT_URL
from dbskit.cli.sandbox_inspect import parse_duration
from dbskit.cli.store import STORE_DEFAULT_PORT, with_store_port
from dbskit.contract.enums import DeliveryType, OrderSubstatus
from dbskit.contract.operations import Profile
from dbskit.contract.sandbox_access import PushAuthMode, TokenType
from dbskit.contract.sandbox_faults import FaultKind
from dbskit.market.domain.status_model import BUYER_REASONS, valid_states
from dbskit.settings import DEFAULT_PORT, Settings

SRC = Path(__file__).resolve().parents[2] / "src"

runner = CliRunner()


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    if hasattr(group, "list_commands"):  # a command group; its commands may load on demand
        context = typer.Context(group)
        for name in group.list_commands(context):
            paths += _command_paths(group.get_command(context, name), (*prefix, name))
    return paths


def test_every_command_has_help() -> None:
    root = typer.main.get_command(app)
    paths = _command_paths(root)
    assert {("serve",), ("store", "serve"), ("sandbox", "clock", "advance")} <= set(paths)
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage" in result.output


def test_flags_override_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBSKIT_PORT", "9000")
    monkeypatch.setenv("DBSKIT_PROFILE", "2026")
    monkeypatch.setenv("DBSKIT_LIMIT_OVERRIDES", '{"getOrder": 5}')
    from_env = settings_from({})
    assert (from_env.port, from_env.profile, from_env.limit_overrides) == (
        9000,
        Profile.SPEC_2026,
        {"getOrder": 5},
    )
    from_flags = settings_from({"port": 9100, "limit_overrides": '{"getOrder": 7}'})
    assert (from_flags.port, from_flags.profile, from_flags.limit_overrides) == (
        9100,
        Profile.SPEC_2026,
        {"getOrder": 7},
    )


def test_every_setting_has_a_flag_with_a_description() -> None:
    result = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    for name, field in Settings.model_fields.items():
        assert "--" + name.replace("_", "-") in result.output, name
        assert field.description, name


def test_settings_round_trip_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(port=8600, strict_content_type=True, sandbox_token="s3cret")
    for key, value in original.to_env().items():
        monkeypatch.setenv(key, value)
    assert Settings() == original


@pytest.mark.decision("Installation and extras")
@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--sqlite-synchronous", "bogus"], {}, "--sqlite-synchronous (DBSKIT_SQLITE_SYNCHRONOUS)"),
        ([], {"DBSKIT_SQLITE_SYNCHRONOUS": "bogus"}, "--sqlite-synchronous"),
        ([], {"DBSKIT_PROFILE": "bogus"}, "--profile (DBSKIT_PROFILE)"),
        (["--port", "70000"], {}, "--port (DBSKIT_PORT)"),
    ],
)
def test_a_refused_setting_is_named_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], named: str
) -> None:
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    result = runner.invoke(app, ["serve", *args])
    assert result.exit_code == 2
    assert "dbskit: invalid settings" in result.output
    assert named in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def _dbskit(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m dbskit`` as a newcomer runs it: no DBSKIT_* variables, no width chosen."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DBSKIT_") and key not in {"TERMINAL_WIDTH", "COLUMNS"}
    }
    env["PYTHONPATH"] = str(SRC)
    return subprocess.run(
        [sys.executable, "-m", "dbskit", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def test_top_level_help_imports_no_command() -> None:
    probe = (
        "import sys\n"
        "sys.argv = ['dbskit', '--help']\n"
        "from dbskit.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ['dbskit.settings', 'dbskit.cli.sandbox', 'dbskit.cli.serve', "
        "'dbskit.market.runtime', 'dbskit.client', 'httpx', 'sqlalchemy']\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
    for command in ("serve", "check-cart", "sandbox", "store", "api"):
        assert command in result.stdout


def test_serve_help_groups_options_shows_defaults_and_cuts_no_name() -> None:
    result = _dbskit("serve", "--help")
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    for name in Settings.model_fields:
        assert "--" + name.replace("_", "-") + " " in result.stdout, name
    for panel in ("Server", "Storage", "Sandbox", "Market switches", "Notifications", "Store"):
        assert f"─ {panel} ─" in result.stdout, panel
    assert "default: 8484" in result.stdout
    assert "default: 10.0" in result.stdout  # --notification-timeout-seconds


def test_store_serve_help_shows_its_own_port() -> None:
    result = _dbskit("store", "serve", "--help")
    assert f"default: {STORE_DEFAULT_PORT}" in result.stdout
    assert STORE_DEFAULT_PORT != DEFAULT_PORT


def test_no_help_lists_every_substatus() -> None:
    root = typer.main.get_command(app)
    for path in _command_paths(root):
        output = runner.invoke(app, [*path, "--help"]).output
        listed = [value for value in OrderSubstatus if value.value in output]
        assert len(listed) <= len(get_args(BuyerReason)), (path, listed)


def test_orders_create_offers_only_what_the_server_accepts() -> None:
    output = runner.invoke(app, ["sandbox", "orders", "create", "--help"]).output
    packed = re.sub(r"[\s│]+", " ", output)  # the help column wraps
    assert "PROCESSING, DELIVERY, PICKUP, DELIVERED, CANCELLED;" in packed
    assert "DELIVERY, PICKUP, POST, DIGITAL" in packed
    assert "PLACING" not in output
    assert "UNKNOWN" not in output
    assert "dbskit sandbox statuses" in output


def test_the_offered_values_are_the_servers() -> None:
    kinds = (DeliveryType.DELIVERY, DeliveryType.PICKUP, DeliveryType.POST, DeliveryType.DIGITAL)
    start_statuses = {status.value for kind in kinds for status, _ in valid_states(kind)}
    assert set(get_args(StartStatus)) == start_statuses
    assert set(get_args(OrderDeliveryType)) == {t.value for t in DeliveryType} - {"UNKNOWN"}
    assert set(get_args(BuyerReason)) == {reason.value for reason in BUYER_REASONS}
    assert set(get_args(PushAuth)) == {mode.value for mode in PushAuthMode}
    assert set(get_args(TokenKind)) == {kind.value for kind in TokenType}
    assert set(get_args(Fault)) == {fault.value for fault in FaultKind}
    assert f"http://127.0.0.1:{DEFAULT_PORT}" == DEFAULT_URL


def test_statuses_lists_each_state_once() -> None:
    result = runner.invoke(app, ["sandbox", "statuses"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()[2:]]
    pickup = next(row for row in rows if row[:2] == ["PICKUP", "PICKUP"])
    assert pickup[2:] == ["PICKUP_SERVICE_RECEIVED"]
    digital = [row[1] for row in rows if row[0] == "DIGITAL"]
    assert digital == ["PROCESSING", "DELIVERED", "CANCELLED"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90s", 90.0), ("30m", 1800.0), ("1h30m", 5400.0), ("2d", 172800.0)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5", "1x", "1h 30m", "h"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_duration(text)


def test_the_store_takes_its_own_port_unless_one_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DBSKIT_PORT", raising=False)
    assert with_store_port(Settings()).port == STORE_DEFAULT_PORT
    assert with_store_port(Settings(port=9001)).port == 9001
    monkeypatch.setenv("DBSKIT_PORT", "9002")
    assert with_store_port(Settings()).port == 9002


def test_a_taken_port_is_refused_before_serving() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CannotListen, match=f"cannot listen on 127.0.0.1:{port}"):
            check_can_listen("127.0.0.1", port)


def test_a_step_far_too_small_is_refused_before_any_request() -> None:
    result = runner.invoke(
        app,
        ["sandbox", "clock", "advance", "2d", "--step", "1s", "--url", "http://127.0.0.1:9"],
    )
    assert result.exit_code == 2
    assert "172800 steps; at most 1000" in result.output


def test_each_lazy_summary_is_its_commands_own_help() -> None:
    from dbskit.cli.main import _Commands

    for name, lazy in _Commands.LAZY.items():
        command = lazy.load(name)
        assert (command.help or "").strip().splitlines()[0] == lazy.summary, name
