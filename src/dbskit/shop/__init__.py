"""The seller side: the store that answers the Market's POST /cart and POST /notification, keeps
its key vault and delivers digital orders by itself (the autopilot)."""

__all__: list[str] = []
