"""GET v2/delivery/services (``getDeliveryServices``, R-118): the delivery-service directory."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.delivery_services import (
    DeliveryServiceInfo,
    DeliveryServices,
    GetDeliveryServicesResponse,
)
from dbskit.market.domain.delivery_services import DELIVERY_SERVICES
from dbskit.market.routes._responses import JSON

router = APIRouter()


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


async def get_delivery_services(_request: Request) -> Response:
    return Response(_directory_body(), media_type=JSON)


# A plain Starlette route: no parameters to resolve, so it skips FastAPI's dependency solving on
# what sellers call as a cheap health check of their credentials.
router.add_route("/delivery/services", get_delivery_services, methods=["GET"])
