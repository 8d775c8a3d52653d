"""Thin HTTP adapters on the official Partner API paths."""

__all__: list[str] = []
