"""deliverDigitalGoods (R-001..R-014).

The body is read with the profile's model (C-03..C-06) and merged before the service decides.
"""

from __future__ import annotations

from starlette.responses import Response

from dbskit.contract import digital_goods
from dbskit.contract.answers import EmptyApiResponse
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.domain.call_warnings import credential_warnings
from dbskit.market.routes._partner import PartnerRequest
from dbskit.market.services import digital_goods as service


async def provide_order_digital_codes(partner: PartnerRequest) -> Response:
    runtime = partner.runtime
    profile = runtime.settings.profile
    order_id = partner.order_id
    document = await read_json(partner.http, digital_goods.request_model(profile))
    await service.provide_order_digital_codes(
        runtime.db,
        campaign_id=partner.campaign_id,
        order_id=order_id,
        submission=digital_goods.submission(document, profile=profile),
        now=runtime.clock.now(),
        settings=runtime.settings,
        call_warnings=credential_warnings(partner.call.credential),
    )
    return json_answer(EmptyApiResponse())
