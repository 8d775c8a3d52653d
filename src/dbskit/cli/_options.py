"""Command-line flags generated from the Settings fields, so a flag and its DBSKIT_* variable
always mean the same thing. A flag left out falls back to the variable, then to the default."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import typer
from pydantic import SecretStr, ValidationError

from dbskit.settings import Settings

_SCALARS = (bool, int, float, str, Path)

# ``--help`` groups the options by what they are about; a field not listed is under "Server".
_PANELS: dict[str, tuple[str, ...]] = {
    "Server": (
        "host",
        "port",
        "workers",
        "data_dir",
        "log_level",
        "access_log",
        "body_read_timeout",
    ),
    "Storage": ("database_url", "store_database_url", "sqlite_synchronous", "redis_url"),
    "Sandbox": (
        "sandbox_token",
        "clock_refresh_seconds",
        "scheduler_interval_seconds",
        "access_cache_seconds",
        "query_log_retention_days",
        "query_log_flush_seconds",
        "query_log_body_max_bytes",
        "test_order_retention_days",
    ),
    # The on/off switches apart from the figures: their --no-... column would squeeze the rest.
    "Market switches": (
        "strict_content_type",
        "strict_marking_widths",
        "strict_country_code",
        "strict_track_codes",
        "lenient_key_counts",
        "email_failure",
        "cancel_late_digital",
        "deprecations",
    ),
    "Market figures": (
        "profile",
        "digital_delivery_delay_seconds",
        "deprecation_fail_every",
        "cart_deadline_seconds",
    ),
    "Request limits": ("limit_overrides", "parallel_limit"),
    "Notifications": (
        "notification_timeout_seconds",
        "ping_timeout_seconds",
        "notification_time_factor",
    ),
    "Store": (
        "store_data",
        "store_token",
        "store_auth_mode",
        "store_time_zone",
        "store_cart_budget_seconds",
    ),
    # The store's notifications and autopilot (dbskit store serve, or mounted in dbskit serve).
    "Store autopilot": (
        "store_market_url",
        "store_api_key",
        "store_business_id",
        "store_cancellation_policy",
        "store_notify_allowlist",
        "store_slip_templates",
        "store_job_lease_seconds",
    ),
}
PANEL_OF = {name: panel for panel, names in _PANELS.items() for name in names}
# Secrets are never shown as defaults; a None default is described by the field's own help.
_NO_DEFAULT_SHOWN = frozenset({"sandbox_token", "store_token", "store_api_key"})


def _flag_type(annotation: Any) -> type:
    args = [arg for arg in get_args(annotation) if arg is not type(None)] or [annotation]
    base = args[0]
    if base is SecretStr or getattr(base, "__origin__", None) is dict or base is dict:
        return str
    if isinstance(base, type) and (issubclass(base, _SCALARS) or issubclass(base, str)):
        return base
    return str


def _default_text(name: str, default: Any) -> str:
    if name in _NO_DEFAULT_SHOWN or default is None or repr(default) == "PydanticUndefined":
        return ""
    if isinstance(default, bool):
        return "; default: on" if default else "; default: off"
    return f"; default: {getattr(default, 'value', default)}"


def settings_parameters(
    only: set[str] | None = None, defaults: dict[str, Any] | None = None
) -> list[inspect.Parameter]:
    """One option per Settings field (or those of ``only``); ``defaults`` replaces the default
    shown in ``--help`` where the command applies its own (the store's port)."""
    params = []
    for name, field in Settings.model_fields.items():
        if only is not None and name not in only:
            continue
        flag = "--" + name.replace("_", "-")
        flag_type = _flag_type(field.annotation)
        decls = [f"{flag}/--no-{name.replace('_', '-')}"] if flag_type is bool else [flag]
        # Square brackets are rich markup in Typer's help: escape them.
        default = (defaults or {}).get(name, field.default)
        help_text = f"{field.description or ''} [env DBSKIT_{name.upper()}"
        help_text = (help_text + _default_text(name, default) + "]").strip()
        help_text = help_text.replace("[", "\\[")
        option = typer.Option(
            None,
            *decls,
            help=help_text,
            show_default=False,
            rich_help_panel=PANEL_OF.get(name, "Server"),
        )
        params.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=option,
                annotation=flag_type | None,
            )
        )
    return params


def settings_from(values: dict[str, Any]) -> Settings:
    overrides: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or name not in Settings.model_fields:
            continue
        if name == "limit_overrides" and isinstance(value, str):
            value = json.loads(value)
        overrides[name] = value
    return Settings(**overrides)


def invalid_settings_message(error: ValidationError) -> str:
    """Each refused setting by its flag and its variable, with the reason: what the command
    line prints instead of a traceback."""
    lines = ["dbskit: invalid settings"]
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        lines.append(
            f"  --{name.replace('_', '-')} (DBSKIT_{name.upper()}): {problem['msg']},"
            f" got {problem.get('input')!r}"
        )
    return "\n".join(lines)


def with_settings_options(
    only: set[str] | None = None, defaults: dict[str, Any] | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command one option per Settings field; it receives ``settings=Settings(...)``."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [p for p in inspect.signature(command).parameters.values() if p.name != "settings"]
        generated = settings_parameters(only, defaults)

        def wrapper(**kwargs: Any) -> Any:
            setting_values = {p.name: kwargs.pop(p.name, None) for p in generated}
            try:
                settings = settings_from(setting_values)
            except ValidationError as error:
                typer.echo(invalid_settings_message(error), err=True)
                raise typer.Exit(2) from None
            return command(settings=settings, **kwargs)

        wrapper.__signature__ = inspect.Signature(own + generated)  # type: ignore[attr-defined]
        wrapper.__name__ = command.__name__
        wrapper.__doc__ = command.__doc__
        return wrapper

    return decorate
