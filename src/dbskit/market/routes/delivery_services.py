"""GET v2/delivery/services (``getDeliveryServices``, R-118): the delivery-service directory."""

from __future__ import annotations

from functools import cache

from starlette.responses import Response

from dbskit.contract.delivery_services import (
    DeliveryServiceInfo,
    DeliveryServices,
    GetDeliveryServicesResponse,
)
from dbskit.market.domain.delivery_services import DELIVERY_SERVICES
from dbskit.market.routes._partner import PartnerRequest
from dbskit.market.routes._responses import JSON


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
    return answer.model_dump_json(by_alias=True).encode()


async def get_delivery_services(_partner: PartnerRequest) -> Response:
    return Response(_directory_body(), media_type=JSON)
