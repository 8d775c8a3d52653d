"""dbskit: the Yandex.Market DBS order flow, both sides.

The Market side is a stateful emulator of the Partner API methods a DBS seller calls; the seller
side is a store service answering the Market's ``POST /cart``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
