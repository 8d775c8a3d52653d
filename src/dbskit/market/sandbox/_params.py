"""Path parameters of the /sandbox routes, validated by FastAPI with the Partner API's bounds."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from dbskit.contract._base import INT64_MAX, INT64_MIN

CampaignIdParam = Annotated[int, Path(alias="campaignId", ge=1, le=INT64_MAX)]
OrderIdParam = Annotated[int, Path(alias="orderId", ge=INT64_MIN, le=INT64_MAX)]
