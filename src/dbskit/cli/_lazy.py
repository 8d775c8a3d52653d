"""Subcommands imported when they run, so that ``dbskit --help`` (and any one command's help)
loads only what it shows: the server, the sandbox commands and the client each pull in their
own libraries, and Typer builds the options of every command it imports."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """``target`` is ``module:attribute``: a Typer app (a group) or a command function;
    ``summary`` is its line in the parent's ``--help`` (the command's own docstring's first
    line, repeated here so that listing it imports nothing)."""

    target: str
    summary: str

    def load(self, name: str) -> _click.Command:
        module_name, attribute = self.target.split(":")
        found: Any = getattr(importlib.import_module(module_name), attribute)
        command: _click.Command
        if isinstance(found, typer.Typer):
            # A group even with one command (``dbskit store serve``), as add_typer makes it.
            command = typer.main.get_group(found)
        else:
            single = typer.Typer()
            single.command(name)(found)
            command = typer.main.get_command(single)
        command.name = name
        return command


class LazyGroup(TyperGroup):
    """A Typer group whose ``LAZY`` commands are imported on first use; its own ``--help``
    lists them by their summaries without importing them."""

    LAZY: ClassVar[dict[str, LazyCommand]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._loaded: dict[str, _click.Command] = {}
        self._listing = False

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.LAZY]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        lazy = self.LAZY.get(cmd_name)
        if lazy is None:
            return super().get_command(ctx, cmd_name)
        if self._listing and cmd_name not in self._loaded:
            return TyperCommand(cmd_name, help=lazy.summary)
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = lazy.load(cmd_name)
        return self._loaded[cmd_name]

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False
