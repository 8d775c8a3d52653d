"""Path parameters of the /sandbox routes: the Partner API's id parser (contract/parameters.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from dbskit.contract.parameters import IdParameter

CampaignIdParam = Annotated[IdParameter, Path(alias="campaignId")]
OrderIdParam = Annotated[IdParameter, Path(alias="orderId")]
