"""PUT .../orders/{orderId}/identifiers and POST .../identifiers/status (R-023..R-036, R-121)."""

from __future__ import annotations

from starlette.responses import Response

from dbskit.contract.identifiers import ProvideOrderItemIdentifiersRequest
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.domain.call_warnings import credential_warnings
from dbskit.market.domain.identifiers import MarkingSwitches
from dbskit.market.routes._partner import PartnerRequest
from dbskit.market.services import identifiers as service


async def provide_order_item_identifiers(partner: PartnerRequest) -> Response:
    runtime = partner.runtime
    order_id = partner.order_id
    body = await read_json(partner.http, ProvideOrderItemIdentifiersRequest)
    answer = await service.provide_order_item_identifiers(
        runtime.db,
        campaign_id=partner.campaign_id,
        order_id=order_id,
        request=body,
        switches=MarkingSwitches(
            strict_widths=runtime.settings.strict_marking_widths,
            strict_country_code=runtime.settings.strict_country_code,
        ),
        now=runtime.clock.now(),
        call_warnings=credential_warnings(partner.call.credential),
    )
    return json_answer(answer)


async def get_order_identifiers_status(partner: PartnerRequest) -> Response:
    answer = await service.get_order_identifiers_status(
        partner.runtime.db, campaign_id=partner.campaign_id, order_id=partner.order_id
    )
    return json_answer(answer)
