"""Market rules as pure Python: no web framework, no SQL, no HTTP client."""

__all__: list[str] = []
