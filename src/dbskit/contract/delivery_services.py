"""GET v2/delivery/services (R-118): the delivery-service directory.

Unlike most answers this one has no ``status`` field (spec GetDeliveryServicesResponse.yaml).
"""

from __future__ import annotations

from pydantic import Field

from dbskit.contract._base import ContractModel, Int64


class DeliveryServiceInfo(ContractModel):
    id: Int64
    name: str


class DeliveryServices(ContractModel):
    delivery_service: list[DeliveryServiceInfo] = Field(alias="deliveryService")


class GetDeliveryServicesResponse(ContractModel):
    result: DeliveryServices
