"""GET v2/delivery/services (``getDeliveryServices``, R-118): the delivery-service directory."""

from __future__ import annotations

from functools import cache

from starlette.responses import Response

from dbskit.contract.delivery_services import (
    DeliveryServiceInfo,
    DeliveryServices,
    GetDeliveryServicesResponse,
)
from dbskit.http_answer import json_answer, json_bytes
from dbskit.market.domain.delivery_services import DELIVERY_SERVICES
from dbskit.market.routes._partner import PartnerRequest


@cache
def _directory_body() -> bytes:
    # The directory is fixed for the life of the process: serialise it once.
    answer = GetDeliveryServicesResponse(
        result=DeliveryServices(
            delivery_service=[
                DeliveryServiceInfo(id=service.id, name=service.name)
                for service in DELIVERY_SERVICES
            ]
        )
    )
    return json_bytes(answer)


async def get_delivery_services(_partner: PartnerRequest) -> Response:
    return json_answer(_directory_body())
