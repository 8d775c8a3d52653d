"""The sandbox's web cabinet (/cabinet): server-rendered pages over the Market's services."""

from dbskit.cabinet.app import PREFIX, create_cabinet_app

__all__ = ["PREFIX", "create_cabinet_app"]
