"""Builders for POST /cart requests and the demo store's expected answers, valid by default."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dbskit.clock import Clock
from dbskit.contract.cart import CartRequest
from dbskit.store_data.data import StoreData
from dbskit.store_data.loaders import load_store

DEMO_FEED = 200100
DEMO_INN = "7712345671"
# Monday 23 November 2026, 10:00 in Moscow.
MONDAY_10_MSK = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)

# The demo store's regions with their parents, as the Market sends them.
MOSCOW = [213, 1, 3, 225]
TVERSKOY = [120542, 20279, *MOSCOW]
KHIMKI = [10758, 1, 3, 225]
ST_PETERSBURG = [2, 10174, 17, 225]
KAZAN = [43, 11119, 40, 225]
MINSK = [157, 149]


def region(chain: list[int]) -> dict[str, Any]:
    """``{"id", "parent": {...}}`` from ids, nearest first."""
    node: dict[str, Any] | None = None
    for region_id in reversed(chain):
        node = {"id": region_id, "name": f"region {region_id}", "type": "OTHER", "parent": node}
    assert node is not None
    return node


def line(offer_id: str, count: int = 1, feed_id: int = DEMO_FEED, **extra: Any) -> dict[str, Any]:
    return {"feedId": feed_id, "offerId": offer_id, "count": count, **extra}


def cart_body(chain: list[int], *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "cart": {
            "businessId": 1,
            "currency": "RUR",
            "deliveryCurrency": "RUR",
            "buyer": {"type": "PERSON"},
            "delivery": {"region": region(chain)},
            "items": list(lines),
            **extra,
        }
    }


def cart_request(chain: list[int], *lines: dict[str, Any]) -> CartRequest:
    return CartRequest.model_validate(cart_body(chain, *lines))


def fixed_clock(moment: datetime = MONDAY_10_MSK) -> Clock:
    return Clock(wall=lambda: moment)


_DEMO: StoreData | None = None


def demo_store() -> StoreData:
    global _DEMO
    if _DEMO is None:
        _DEMO = load_store()
    return _DEMO


def answer_line(
    offer_id: str, count: int, *, delivery: bool | None = True, inn: str | None = DEMO_INN
) -> dict[str, Any]:
    item: dict[str, Any] = {"feedId": DEMO_FEED, "offerId": offer_id, "count": count}
    if delivery is not None:
        item["delivery"] = delivery
    if inn is not None:
        item["sellerInn"] = inn
    return item


def intervals(*days: tuple[str, list[tuple[str, str]]]) -> list[dict[str, str]]:
    return [
        {"date": day, "fromTime": start, "toTime": end}
        for day, spans in days
        for start, end in spans
    ]


MSK_SPANS = [("10:00", "14:00"), ("14:00", "18:00"), ("18:00", "22:00")]
MSK_PAYMENTS = ["YANDEX", "CARD_ON_DELIVERY", "CASH_ON_DELIVERY"]

# The options the demo store answers for Moscow on Monday at 10:00.
MOSCOW_OPTIONS: list[dict[str, Any]] = [
    {
        "id": "courier-msk",
        "price": 299.0,
        "serviceName": "Курьер по Москве",
        "type": "DELIVERY",
        "dates": {
            "fromDate": "24-11-2026",
            "toDate": "26-11-2026",
            "intervals": intervals(
                ("24-11-2026", MSK_SPANS), ("25-11-2026", MSK_SPANS), ("26-11-2026", MSK_SPANS[:1])
            ),
        },
        "paymentMethods": MSK_PAYMENTS,
    },
    {
        "id": "pickup-msk",
        "price": 0.0,
        "serviceName": "Пункты выдачи в Москве",
        "type": "PICKUP",
        "dates": {"fromDate": "24-11-2026", "toDate": "26-11-2026"},
        "outlets": [{"code": "MSK-TVERSKAYA-12"}, {"code": "MSK-CENTER-2"}, {"code": "MSK-1"}],
        "paymentMethods": MSK_PAYMENTS,
    },
    {
        "id": "pickup-msk+1d",
        "price": 0.0,
        "serviceName": "Пункты выдачи в Москве",
        "type": "PICKUP",
        "dates": {"fromDate": "25-11-2026", "toDate": "27-11-2026"},
        "outlets": [{"code": "MSK-SOUTH-7"}],
        "paymentMethods": MSK_PAYMENTS,
    },
    {
        "id": "post-russia",
        "price": 350.0,
        "deliveryServiceId": 1,
        "serviceName": "Почта России",
        "type": "POST",
        "dates": {"fromDate": "30-11-2026", "toDate": "07-12-2026"},
        "paymentMethods": ["YANDEX"],
    },
]

DIGITAL_OPTION_MONDAY: dict[str, Any] = {
    "id": "digital",
    "price": 0.0,
    "serviceName": "Digital delivery",
    "type": "DIGITAL",
    "dates": {"fromDate": "23-11-2026"},
    "paymentMethods": ["YANDEX"],
}


def answer(
    items: list[dict[str, Any]], options: list[dict[str, Any]], payments: list[str]
) -> dict[str, Any]:
    return {
        "cart": {
            "deliveryCurrency": "RUR",
            "items": items,
            "deliveryOptions": options,
            "paymentMethods": payments,
        }
    }
