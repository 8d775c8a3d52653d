"""Use cases of the Market side; each write is one transaction."""

__all__: list[str] = []
