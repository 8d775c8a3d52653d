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


def _flag_type(annotation: Any) -> type:
    args = [arg for arg in get_args(annotation) if arg is not type(None)] or [annotation]
    base = args[0]
    if base is SecretStr or getattr(base, "__origin__", None) is dict or base is dict:
        return str
    if isinstance(base, type) and (issubclass(base, _SCALARS) or issubclass(base, str)):
        return base
    return str


def settings_parameters(only: set[str] | None = None) -> list[inspect.Parameter]:
    params = []
    for name, field in Settings.model_fields.items():
        if only is not None and name not in only:
            continue
        flag = "--" + name.replace("_", "-")
        flag_type = _flag_type(field.annotation)
        decls = [f"{flag}/--no-{name.replace('_', '-')}"] if flag_type is bool else [flag]
        # Square brackets are rich markup in Typer's help: escape them.
        help_text = f"{field.description or ''} [env DBSKIT_{name.upper()}]".strip()
        help_text = help_text.replace("[", "\\[")
        option = typer.Option(None, *decls, help=help_text, show_default=False)
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
    only: set[str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command one option per Settings field; it receives ``settings=Settings(...)``."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        own = [p for p in inspect.signature(command).parameters.values() if p.name != "settings"]
        generated = settings_parameters(only)

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
