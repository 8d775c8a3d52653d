"""/sandbox checkout: a basket checked out through the campaign's store (POST /cart, OQ-16)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from dbskit.contract.checkout import CheckoutBody, CheckoutResponse, CheckoutWarning
from dbskit.http_answer import json_answer
from dbskit.http_body import read_json
from dbskit.market.domain.checkout import CatalogueOffer, complete_basket
from dbskit.market.sandbox._guard import require_sandbox_token, runtime_of
from dbskit.market.sandbox._params import CampaignIdParam
from dbskit.market.services.checkout import CheckoutDeps, checkout
from dbskit.market.services.order_view import order_dto

router = APIRouter(prefix="/sandbox", dependencies=[Depends(require_sandbox_token)])


def _no_offers(_offer_id: str) -> list[CatalogueOffer]:
    return []


@router.post("/campaigns/{campaignId}/checkout")
async def check_out(request: Request, campaign_id: CampaignIdParam) -> Response:
    runtime = runtime_of(request)
    body = await read_json(request, CheckoutBody)
    store = getattr(request.app.state, "store", None)  # the store this server runs, if any
    basket = complete_basket(body, store.data.catalogue.offers_with_id if store else _no_offers)
    deps = CheckoutDeps(
        db=runtime.db,
        clock=runtime.clock,
        http=runtime.http,
        query_log=runtime.query_log,
        deadline=runtime.settings.cart_deadline_seconds,
        retention=timedelta(days=runtime.settings.test_order_retention_days),
    )
    done = await checkout(deps, campaign_id=campaign_id, basket=basket)
    answer = CheckoutResponse(
        order=order_dto(done.order),
        cart=done.cart,
        warnings=[
            CheckoutWarning(rule=w.rule, path=w.path, message=w.message) for w in done.warnings
        ],
    )
    return json_answer(answer, status_code=201)
