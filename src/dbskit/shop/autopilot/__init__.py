"""The store's autopilot: what it does for an order the Market tells it about. ``decisions``
holds the pure rules; ``order_job`` reads the order, reserves keys and calls the Market."""
