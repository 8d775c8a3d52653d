"""The sandbox's own levers: create a test order, load a scenario, advance the clock, reset,
and the fault rules. Each form calls the same service as its ``/sandbox`` route."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dbskit.cabinet._auth import PREFIX, posted_form, signed_in
from dbskit.cabinet._fields import BadField, Fields, path_id
from dbskit.cabinet._models import model_from
from dbskit.cabinet._views import CLOCK_UNITS, done, render
from dbskit.cabinet.order_page import order_path
from dbskit.clock import ClockBeyondLatest, ClockMovedBackwards
from dbskit.contract import limits
from dbskit.contract.enums import DeliveryType, DigitalGoodsDeliveryType, OrderStatus
from dbskit.contract.errors import BadRequest
from dbskit.contract.operations import OPERATIONS_BY_ID
from dbskit.contract.sandbox import MAX_ADVANCE_SECONDS, SandboxOrderRequest
from dbskit.contract.sandbox_faults import FaultKind, FaultMode, FaultRuleCreate
from dbskit.market.domain.scenario_files import ScenarioFormat, read_scenario
from dbskit.market.services import sandbox_orders
from dbskit.market.services.scenarios import OrderPlacing, ScenarioService

SANDBOX_PATH: Final = PREFIX + "/sandbox"
MARKINGS: Final = ("CIS", "UIN", "RNPT", "GTD")
SCENARIO_FORMATS: Final = {
    "yaml": ScenarioFormat.YAML,
    "json": ScenarioFormat.JSON,
    "toml": ScenarioFormat.TOML,
}
DELIVERY_TYPES: Final = tuple(
    kind.value for kind in DeliveryType if kind is not DeliveryType.UNKNOWN
)


async def sandbox_page(request: Request) -> Response:
    visit = signed_in(request)
    rules = await visit.runtime.faults.listing()
    demo = visit.runtime.demo
    return render(
        request,
        visit,
        "sandbox.html",
        section="sandbox",
        rules=rules.rules,
        demo_campaign=demo.campaign_id if demo else "",
        clock_units=list(CLOCK_UNITS),
        delivery_types=list(DELIVERY_TYPES),
        digital_types=[kind.value for kind in DigitalGoodsDeliveryType],
        markings=list(MARKINGS),
        statuses=[status.value for status in OrderStatus],
        scenario_formats=list(SCENARIO_FORMATS),
        operations=sorted(OPERATIONS_BY_ID),
        fault_kinds=[kind.value for kind in FaultKind],
        fault_modes=[mode.value for mode in FaultMode],
    )


async def create_test_order(request: Request) -> Response:
    visit, fields = await posted_form(request)
    campaign_id = fields.required_integer("campaign")
    delivery = fields.choice("deliveryType", DeliveryType) or DeliveryType.DELIVERY
    digital = fields.choice("digitalGoodsType", DigitalGoodsDeliveryType)
    marking = fields.raw("marking")
    if marking is not None and marking not in MARKINGS:
        raise BadField("marking", f"must be one of {', '.join(MARKINGS)}")
    body = model_from(
        SandboxOrderRequest,
        {
            "items": [
                {
                    "offerId": fields.required_text("offerId", max_length=255),
                    "offerName": fields.text("offerName", max_length=1000),
                    "count": fields.integer("count", high=limits.SANDBOX_ORDER_ITEM_COUNT_MAX) or 1,
                    "price": _price(fields),
                    "marking": marking,
                }
            ],
            "delivery": {
                "type": delivery.value,
                "digitalGoods": (
                    {"type": (digital or DigitalGoodsDeliveryType.EMAIL).value}
                    if delivery is DeliveryType.DIGITAL
                    else None
                ),
            },
            "status": fields.raw("status"),
        },
    )
    runtime = visit.runtime
    order = await sandbox_orders.create_test_order(
        runtime.db,
        campaign_id=campaign_id,
        request=body,
        now=runtime.clock.now(),
        retention=timedelta(days=runtime.settings.test_order_retention_days),
        profile=runtime.settings.profile,
    )
    return done(order_path(order.id), "order-created")


def _price(fields: Fields) -> Decimal:
    text = fields.required_text("price", max_length=32).strip()
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise BadField("price", f"not a number: {text!r}") from None
    if not price.is_finite():
        raise BadField("price", "must be a finite number")
    return price


async def advance_clock(request: Request) -> Response:
    visit, fields = await posted_form(request)
    amount = fields.number("amount", low=0, high=MAX_ADVANCE_SECONDS)
    if amount is None:
        raise BadField("amount", "a value is required")
    unit = fields.raw("unit") or "hours"
    if unit not in CLOCK_UNITS:
        raise BadField("unit", f"must be one of {', '.join(CLOCK_UNITS)}")
    seconds = amount * CLOCK_UNITS[unit]
    if seconds > MAX_ADVANCE_SECONDS:
        raise BadField("amount", f"at most {MAX_ADVANCE_SECONDS // 86_400} days at once")
    try:
        await visit.runtime.clock_service.advance(seconds=seconds)
    except (ClockMovedBackwards, ClockBeyondLatest) as exc:
        raise BadRequest(str(exc)) from None
    return done(_back_to(fields), "clock-advanced")


def _back_to(fields: Fields) -> str:
    """The cabinet page a form came from (an order's page moves the clock too), else this one."""
    back = fields.raw("back")
    if back is not None and back.startswith(PREFIX + "/") and "//" not in back and "?" not in back:
        return back
    return SANDBOX_PATH


async def reset(request: Request) -> Response:
    visit, fields = await posted_form(request)
    campaign_id = fields.integer("campaign")
    await visit.runtime.resets.reset(campaign_id=campaign_id)
    return done(SANDBOX_PATH, "sandbox-reset")


async def load_scenario(request: Request) -> Response:
    visit, fields = await posted_form(request)
    text = fields.required_text("scenario", max_length=limits.REQUEST_BODY_MAX_BYTES)
    chosen = fields.raw("format") or "yaml"
    if chosen not in SCENARIO_FORMATS:
        raise BadField("format", f"must be one of {', '.join(SCENARIO_FORMATS)}")
    scenario = read_scenario(text.encode(), SCENARIO_FORMATS[chosen])
    runtime = visit.runtime
    service = ScenarioService(db=runtime.db, clock=runtime.clock, scheduler=runtime.scheduler)
    await service.load(
        scenario,
        placing=OrderPlacing(
            retention=timedelta(days=runtime.settings.test_order_retention_days),
            profile=runtime.settings.profile,
        ),
    )
    return done(SANDBOX_PATH, "scenario-loaded")


async def add_fault(request: Request) -> Response:
    visit, fields = await posted_form(request)
    mode = fields.choice("mode", FaultMode)
    if mode is None:
        raise BadField("mode", "a value is required")
    document: dict[str, object] = {
        "operationId": fields.text("operationId", max_length=64),
        "campaignId": fields.integer("campaignId"),
        "tokenId": fields.integer("tokenId"),
        "fault": fields.raw("fault"),
        "latencyMs": fields.integer("latencyMs"),
    }
    if mode is FaultMode.SHARE:
        document["share"] = fields.number("count", low=0, high=1)
    else:
        document[mode.value.lower()] = fields.integer("count")
    await visit.runtime.faults.add(model_from(FaultRuleCreate, document))
    return done(SANDBOX_PATH, "fault-added")


async def delete_fault(request: Request) -> Response:
    visit, _fields = await posted_form(request)
    await visit.runtime.faults.clear(path_id(request, "rule_id"))
    return done(SANDBOX_PATH, "faults-cleared")


async def clear_faults(request: Request) -> Response:
    visit, _fields = await posted_form(request)
    await visit.runtime.faults.clear()
    return done(SANDBOX_PATH, "faults-cleared")


routes = [
    Route("/sandbox", sandbox_page, methods=["GET"]),
    Route("/sandbox/orders", create_test_order, methods=["POST"]),
    Route("/sandbox/clock", advance_clock, methods=["POST"]),
    Route("/sandbox/reset", reset, methods=["POST"]),
    Route("/sandbox/scenario", load_scenario, methods=["POST"]),
    Route("/sandbox/faults", add_fault, methods=["POST"]),
    Route("/sandbox/faults/clear", clear_faults, methods=["POST"]),
    Route("/sandbox/faults/{rule_id}/delete", delete_fault, methods=["POST"]),
]
