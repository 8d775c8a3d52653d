"""The seller side: the store service that answers the Market's POST /cart."""

__all__: list[str] = []
