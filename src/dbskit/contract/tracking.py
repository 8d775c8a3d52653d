"""delivery/track (``setOrderDeliveryTrackCode``): the request body (R-018)."""

from __future__ import annotations

from pydantic import Field

from dbskit.contract._base import ContractModel, Int64


class SetOrderDeliveryTrackCodeRequest(ContractModel):
    """Both fields are required (R-018); the service id comes from GET v2/delivery/services."""

    track_code: str = Field(alias="trackCode")
    delivery_service_id: Int64 = Field(alias="deliveryServiceId")
