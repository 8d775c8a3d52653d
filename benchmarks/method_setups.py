"""Fresh data for the Partner API method workloads, made through /sandbox before each load run.

Every connection gets its own API key and its own pool of new test orders (``ORDERS_PER_KEY``),
created with concurrent requests so that a pool of hundreds of orders takes a few seconds. The
variants go round by round (order 0 of every key, then order 1, ...), so that the connections of
one wrk thread send different keys, and each order gets a new payload on every call (a
``SEQUENCE_MARKER`` in its keys, track code or marking codes): a repeat with the same payload
would change nothing (OQ-01, OQ-06), and the benchmark is of the write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from benchmarks._paths import use_checkout_sources
from benchmarks.calls import SEQUENCE_DIGITS, SEQUENCE_MARKER, Prepared, SetupContext, Variant

KEYS_PER_SELLER = 30  # a business holds at most 30 API keys
ORDERS_PER_KEY = 8
SETUP_THREADS = 8  # concurrent setup requests (the server serves them on its threads)

Json = dict[str, Any]
OrderBody = Callable[[Json], Json]  # an OrderDTO -> the request body for it


def bench_settings() -> dict[str, str]:
    """DBSKIT_* settings of the benchmarked server.

    The limiter stays on, its budgets raised so that a few seconds of load from a handful of
    tokens stay within them. The keys e-mail of deliverDigitalGoods waits a day on the sandbox
    clock instead of 5 s (OQ-05): the order stays in PROCESSING and every call replaces the keys
    (OQ-01); otherwise the order would become DELIVERED during the run and later calls get 400.
    """
    use_checkout_sources()
    from dbskit.contract.operations import OPERATIONS

    raised = {operation.operation_id: 1_000_000_000 for operation in OPERATIONS}
    return {
        "DBSKIT_LIMIT_OVERRIDES": json.dumps(raised),
        "DBSKIT_PARALLEL_LIMIT": "1000000",
        "DBSKIT_DIGITAL_DELIVERY_DELAY_SECONDS": "86400",
    }


# --- Sellers, keys and order pools ---------------------------------------------------------------


@dataclass(frozen=True)
class KeyedOrders:
    """One connection's API key and the new test orders of its campaign it works on."""

    api_key: str
    campaign_id: int
    orders: tuple[Json, ...]

    def path(self, order: Json, suffix: str = "") -> str:
        return f"/v2/campaigns/{self.campaign_id}/orders/{order['id']}{suffix}"


def _post(context: SetupContext, path: str, body: Json, headers: Mapping[str, str]) -> Json:
    response = context.client.post(context.base_url + path, json=body, headers=dict(headers))
    response.raise_for_status()
    answer: Json = response.json()
    return answer


def sandbox_post(context: SetupContext, path: str, body: Json) -> Json:
    return _post(context, path, body, context.sandbox_headers)


def keys(context: SetupContext) -> tuple[list[Json], list[str]]:
    """The sellers (campaigns) and a full-access key per connection: connection n holds key n of
    seller n // KEYS_PER_SELLER (R-076)."""
    sellers = [
        sandbox_post(context, "/sandbox/campaigns", {"name": f"Bench {n}"})
        for n in range(-(-context.connections // KEYS_PER_SELLER))
    ]

    def new_key(connection: int) -> str:
        seller = sellers[connection // KEYS_PER_SELLER]
        body = {"businessId": seller["businessId"], "scopes": ["all-methods"]}
        return str(sandbox_post(context, "/sandbox/tokens", body)["apiKey"])

    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        return sellers, list(pool.map(new_key, range(context.connections)))


def keys_setup(context: SetupContext) -> Prepared:
    """A full-access key per connection, the call's path for all."""
    return Prepared(tuple(Variant(key) for key in keys(context)[1]))


def keyed_orders(context: SetupContext, order: Json, *, per_key: int) -> list[KeyedOrders]:
    """A key per connection (as many sellers as R-076 needs), each with ``per_key`` orders."""
    sellers, api_keys = keys(context)

    def campaign_of(connection: int) -> int:
        return int(sellers[connection // KEYS_PER_SELLER]["campaignId"])

    def new_order(index: int) -> Json:
        campaign = campaign_of(index // per_key)
        created = sandbox_post(context, f"/sandbox/campaigns/{campaign}/orders", order)
        dto: Json = created["order"]
        return dto

    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        orders = list(pool.map(new_order, range(context.connections * per_key)))
    return [
        KeyedOrders(api_keys[n], campaign_of(n), tuple(orders[n * per_key : (n + 1) * per_key]))
        for n in range(context.connections)
    ]


def variants_round_by_round(
    keyed: list[KeyedOrders], variant: Callable[[KeyedOrders, Json], Variant]
) -> tuple[Variant, ...]:
    """Order 0 of every key, then order 1 of every key, ... (see the module's docstring)."""

    def rounds() -> Iterator[Variant]:
        for position in range(len(keyed[0].orders)):
            for connection in keyed:
                yield variant(connection, connection.orders[position])

    return tuple(rounds())


def _compact(body: Json) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _item_ids(order: Json) -> list[int]:
    return [int(item["id"]) for item in order["items"]]


# --- GET order -----------------------------------------------------------------------------------

_MIXED_ORDER: Json = {
    "items": [
        {"offerId": "sku-1", "count": 2, "price": 990},
        {"offerId": "cable", "count": 1, "price": 150, "marking": "CIS"},
    ],
    "delivery": {"type": "DELIVERY"},
}


def get_order_setup(context: SetupContext) -> Prepared:
    """A key per connection, each asking for its own test order."""
    keyed = keyed_orders(context, _MIXED_ORDER, per_key=1)
    return Prepared(
        variants_round_by_round(keyed, lambda k, order: Variant(k.api_key, k.path(order)))
    )


# --- deliverDigitalGoods -------------------------------------------------------------------------

# A game key and a pack of two: DIGITAL, created in PROCESSING, so the calls come well inside
# the 30-minute window that starts when the order is created.
_DIGITAL_ORDER: Json = {
    "items": [
        {"offerId": "game-standard", "count": 1, "price": 1990},
        {"offerId": "dlc-pack", "count": 2, "price": 490},
    ],
    "delivery": {"type": "DIGITAL"},
}
ACTIVATE_TILL = "2030-12-31"
SLIP = "<h2>How to activate</h2><ol><li>Open the store app.</li><li>Enter the key.</li></ol>"


def digital_goods_body(item_ids: list[int], counts: list[int], *, slip: str = SLIP) -> Json:
    """Keys for every unit (OQ-02), each new on every call: the marker in every key."""
    return {
        "items": [
            {
                "id": item_id,
                "codes": [f"{SEQUENCE_MARKER}-{n}-{unit}" for unit in range(count)],
                "slip": slip,
                "activate_till": ACTIVATE_TILL,
            }
            for n, (item_id, count) in enumerate(zip(item_ids, counts, strict=True))
        ]
    }


def _counts(order: Json) -> list[int]:
    return [int(item["count"]) for item in order["items"]]


def deliver_digital_goods_setup(context: SetupContext) -> Prepared:
    keyed = keyed_orders(context, _DIGITAL_ORDER, per_key=ORDERS_PER_KEY)

    def variant(k: KeyedOrders, order: Json) -> Variant:
        body = digital_goods_body(_item_ids(order), _counts(order))
        return Variant(k.api_key, k.path(order, "/deliverDigitalGoods"), _compact(body))

    return Prepared(variants_round_by_round(keyed, variant))


def prism_digital_goods_body() -> str:
    return _compact(digital_goods_body([1, 2], _counts(_DIGITAL_ORDER)))


# --- deliverDigitalGoods, a body just under 512 KB ------------------------------------------------

LARGE_BODY_BYTES = 524_000  # the limit is 512 KB = 524,288 bytes
LARGE_ITEMS = 36
LARGE_COUNT = 1_000  # units per item (the sandbox's most): 36,000 keys in all
_LARGE_ORDER: Json = {
    "items": [
        {"offerId": f"license-{n:02d}", "count": LARGE_COUNT, "price": 100}
        for n in range(LARGE_ITEMS)
    ],
    "delivery": {"type": "DIGITAL"},
}


def large_digital_goods_body(item_ids: list[int]) -> str:
    """36,000 keys of 10 characters, one of them new on every call; the slips fill the body up
    to ``LARGE_BODY_BYTES``."""
    keys = [
        [f"KEY-{n:02d}-{unit:03d}" for unit in range(LARGE_COUNT)] for n in range(len(item_ids))
    ]
    keys[0][0] = f"NEW-{SEQUENCE_MARKER}"
    items: list[dict[str, object]] = [
        {"id": item_id, "codes": codes, "slip": "", "activate_till": ACTIVATE_TILL}
        for item_id, codes in zip(item_ids, keys, strict=True)
    ]
    room = LARGE_BODY_BYTES - len(_compact({"items": items}).encode())
    if room < 0:
        raise ValueError(f"the keys alone take {LARGE_BODY_BYTES - room} bytes")
    filler = "<p>Activate the licence in the publisher's account.</p>"
    for n, item in enumerate(items):
        share = room // len(items) + (1 if n < room % len(items) else 0)
        item["slip"] = (filler * (share // len(filler) + 1))[:share]
    body = _compact({"items": items})
    assert len(body.encode()) == LARGE_BODY_BYTES
    return body


def large_digital_goods_setup(context: SetupContext) -> Prepared:
    keyed = keyed_orders(context, _LARGE_ORDER, per_key=1)

    def variant(k: KeyedOrders, order: Json) -> Variant:
        body = large_digital_goods_body(_item_ids(order))
        return Variant(k.api_key, k.path(order, "/deliverDigitalGoods"), body)

    return Prepared(variants_round_by_round(keyed, variant))


def prism_large_digital_goods_body() -> str:
    return large_digital_goods_body(list(range(1, LARGE_ITEMS + 1)))


# --- deliverDigitalGoods, 5,000 keys of one item in a body just under 512 KB ---------------------

ONE_ITEM_KEYS = 5_000  # the most keys of one item, and a test order line's most units
_ONE_ITEM_ORDER: Json = {
    "items": [{"offerId": "license-pack", "count": ONE_ITEM_KEYS, "price": 100}],
    "delivery": {"type": "DIGITAL"},
}
_ONE_ITEM_SLIP = "<p>Activate the licence in the publisher's account.</p>"


def one_item_digital_goods_body(item_id: int) -> str:
    """5,000 keys of one item, each about 100 characters, filling the body up to
    ``LARGE_BODY_BYTES``; the first key new on every call."""
    item: dict[str, object] = {
        "id": item_id,
        "codes": [],
        "slip": _ONE_ITEM_SLIP,
        "activate_till": ACTIVATE_TILL,
    }
    # Each key costs its text, two quotes and a comma (but the last); the first keys take a
    # character more until the body has the size wanted.
    room = LARGE_BODY_BYTES - len(_compact({"items": [item]}).encode()) + 1
    width, longer = divmod(room, ONE_ITEM_KEYS)
    codes = [f"KEY-{n:05d}-".ljust(width - 3 + (n < longer), "x") for n in range(ONE_ITEM_KEYS)]
    codes[0] = f"NEW-{SEQUENCE_MARKER}-".ljust(len(codes[0]), "x")
    item["codes"] = codes
    body = _compact({"items": [item]})
    assert len(body.encode()) == LARGE_BODY_BYTES
    return body


def one_item_digital_goods_setup(context: SetupContext) -> Prepared:
    keyed = keyed_orders(context, _ONE_ITEM_ORDER, per_key=1)

    def variant(k: KeyedOrders, order: Json) -> Variant:
        (item_id,) = _item_ids(order)
        return Variant(
            k.api_key, k.path(order, "/deliverDigitalGoods"), one_item_digital_goods_body(item_id)
        )

    return Prepared(variants_round_by_round(keyed, variant))


def prism_one_item_digital_goods_body() -> str:
    return one_item_digital_goods_body(1)


# --- delivery/track ------------------------------------------------------------------------------

_PARCEL_ORDER: Json = {
    "items": [{"offerId": "kettle", "count": 1, "price": 2490}],
    "delivery": {"type": "DELIVERY"},
}


def _directory_ids() -> list[int]:
    """Carriers of the GET v2/delivery/services directory (R-018)."""
    use_checkout_sources()
    from dbskit.market.domain.delivery_services import DELIVERY_SERVICES

    return [service.id for service in DELIVERY_SERVICES]


def track_body(service_id: int) -> str:
    return _compact({"trackCode": f"TRK{SEQUENCE_MARKER}", "deliveryServiceId": service_id})


def delivery_track_setup(context: SetupContext) -> Prepared:
    keyed = keyed_orders(context, _PARCEL_ORDER, per_key=ORDERS_PER_KEY)
    services = _directory_ids()
    counter = iter(range(len(keyed) * ORDERS_PER_KEY))

    def variant(k: KeyedOrders, order: Json) -> Variant:
        service = services[next(counter) % len(services)]
        return Variant(k.api_key, k.path(order, "/delivery/track"), track_body(service))

    return Prepared(variants_round_by_round(keyed, variant))


def prism_track_body() -> str:
    return track_body(_directory_ids()[1])


# --- PUT identifiers and identifiers/status ------------------------------------------------------

# Shoes marked in «Честный ЗНАК» (two units) and a piece of jewellery with a UIN.
_MARKED_ORDER: Json = {
    "items": [
        {"offerId": "sneakers-42", "count": 2, "price": 4990, "marking": "CIS"},
        {"offerId": "ring-17", "count": 1, "price": 12990, "marking": "UIN"},
    ],
    "delivery": {"type": "DELIVERY"},
}
GTIN = "04606203098187"


def cis(unit: int) -> str:
    """A CIS with its crypto tail (R-031): GTIN, a 20-character serial (the run's sequence number
    and the unit), then GS and the crypto tail. JSON carries GS as the escape \\u001d."""
    return f"01{GTIN}21{SEQUENCE_MARKER}{unit:08d}\u001d93dGVzdA=="


def uin(unit: int) -> str:
    return f"{SEQUENCE_MARKER}{unit:04d}"  # 16 digits


def identifiers_body(item_ids: list[int]) -> str:
    cis_item, uin_item = item_ids
    body = {
        "items": [
            {"id": cis_item, "instances": [{"cis": cis(0)}, {"cis": cis(1)}]},
            {"id": uin_item, "instances": [{"uin": uin(2)}]},
        ]
    }
    return _compact(body)


def put_identifiers_setup(context: SetupContext) -> Prepared:
    keyed = keyed_orders(context, _MARKED_ORDER, per_key=ORDERS_PER_KEY)

    def variant(k: KeyedOrders, order: Json) -> Variant:
        return Variant(k.api_key, k.path(order, "/identifiers"), identifiers_body(_item_ids(order)))

    return Prepared(variants_round_by_round(keyed, variant))


def identifiers_status_setup(context: SetupContext) -> Prepared:
    """Orders whose codes are stored (one PUT identifiers each), then asked for their status."""
    keyed = keyed_orders(context, _MARKED_ORDER, per_key=ORDERS_PER_KEY)

    def put_codes(pair: tuple[int, KeyedOrders, Json]) -> None:
        sequence, k, order = pair
        body = identifiers_body(_item_ids(order)).replace(
            SEQUENCE_MARKER, str(sequence).zfill(SEQUENCE_DIGITS)
        )
        response = context.client.put(
            context.base_url + k.path(order, "/identifiers"),
            content=body.encode(),
            headers={"Api-Key": k.api_key, "Content-Type": "application/json"},
        )
        response.raise_for_status()

    orders = ((k, order) for k in keyed for order in k.orders)
    pending = [(n, k, order) for n, (k, order) in enumerate(orders)]
    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        list(pool.map(put_codes, pending))
    return Prepared(
        variants_round_by_round(
            keyed, lambda k, order: Variant(k.api_key, k.path(order, "/identifiers/status"))
        )
    )


def prism_identifiers_body() -> str:
    return identifiers_body([1, 2])
