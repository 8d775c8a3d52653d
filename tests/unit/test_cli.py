"""The command line: help everywhere, and flags that mean what their DBSKIT_* variables mean."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from dbskit.cli import app
from dbskit.cli._options import settings_from
from dbskit.contract.operations import Profile
from dbskit.settings import Settings

runner = CliRunner()


def _command_paths(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    if hasattr(group, "commands"):  # a command group
        for name, command in group.commands.items():
            paths += _command_paths(command, (*prefix, name))
    return paths


def test_every_command_has_help() -> None:
    root = typer.main.get_command(app)
    paths = _command_paths(root)
    assert ("serve",) in paths
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
