"""setOrderDeliveryTrackCode: POST .../orders/{orderId}/delivery/track (R-015..R-022, OQ-06)."""

from __future__ import annotations

from starlette.responses import Response

from dbskit.contract.answers import EmptyApiResponse
from dbskit.contract.tracking import SetOrderDeliveryTrackCodeRequest
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.domain.call_warnings import credential_warnings
from dbskit.market.routes._partner import PartnerRequest
from dbskit.market.services import tracking as service


async def set_order_delivery_track_code(partner: PartnerRequest) -> Response:
    runtime = partner.runtime
    order_id = partner.order_id
    body = await read_json(partner.http, SetOrderDeliveryTrackCodeRequest)
    await service.set_order_delivery_track_code(
        runtime.db,
        campaign_id=partner.campaign_id,
        order_id=order_id,
        request=body,
        now=runtime.clock.now(),
        strict_track_codes=runtime.settings.strict_track_codes,
        call_warnings=credential_warnings(partner.call.credential),
    )
    return json_answer(EmptyApiResponse())
