"""deliverDigitalGoods, delivery/track, PUT identifiers and identifiers/status fuzzed by
Schemathesis from the reference spec, on a real server under both profiles, with a
full-access key and the ids of seeded test orders (the harness of the order methods' test).

Every answer must be a documented status with a body that matches the spec; none may be a 5xx;
each method must answer 2xx at least once.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import running_server
from tests.reference import reference_spec
from tests.schema.test_order_methods_fuzz import (
    TOKEN,
    CaseParts,
    Seeded,
    _checks,
    _fuzz,
    _operations,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
]

OPERATIONS = (
    "provideOrderDigitalCodes",
    "setOrderDeliveryTrackCode",
    "provideOrderItemIdentifiers",
    "getOrderIdentifiersStatus",
)


@pytest.fixture
def seed_server(tmp_path: Path, database_url: str, profile: str) -> Iterator[str]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # Deprecations off: a retired method's 410 is ours, not the spec's (OQ-29).
    args = [
        "--data-dir", str(data_dir), "--database-url", database_url, "--profile", profile,
        "--sandbox-token", TOKEN, "--no-deprecations", "--digital-delivery-delay-seconds", "3600",
    ]  # fmt: skip
    with running_server(args, ready_headers={"Sandbox-Token": TOKEN}) as running:
        yield running.base_url


def _item_id(base_url: str, seeded: Seeded, order_id: int) -> int:
    path = f"/v2/campaigns/{seeded.campaign_id}/orders/{order_id}"
    answer = httpx.get(base_url + path, headers={"Api-Key": seeded.api_key}, timeout=10)
    return int(answer.json()["order"]["items"][0]["id"])


@pytest.mark.rule(
    "R-004",
    "R-010",
    "R-013",
    "R-018",
    "R-020",
    "R-022",
    "R-029",
    "R-034",
    "R-036",
    "R-071",
    "R-121",
)
def test_seed_methods_match_the_reference_spec(
    seed_server: str, record_property: Callable[[str, object], None]
) -> None:
    import schemathesis

    seeded = Seeded(seed_server)
    schema = schemathesis.openapi.from_dict(copy.deepcopy(reference_spec())).include(
        operation_id=list(OPERATIONS)
    )
    schema.hook("map_path_parameters")(
        lambda context, parameters: seeded.map_path_parameters(context, parameters)
    )
    headers = {"Api-Key": seeded.api_key}
    statuses: dict[str, Counter[int]] = {}
    checks = _checks()

    def call(case: Any) -> int:
        response = case.call(base_url=seed_server, headers=headers)
        case.validate_response(response, checks=checks, headers=headers)
        statuses.setdefault(case.operation.label, Counter())[response.status_code] += 1
        return int(response.status_code)

    for operation in _operations(schema):
        _fuzz(operation, call)

    # One documented success per method: a PROCESSING order and the PROCESSING DIGITAL one.
    physical, digital = seeded.order_ids[0], seeded.order_ids[3]
    physical_item = _item_id(seed_server, seeded, physical)
    digital_item = _item_id(seed_server, seeded, digital)
    keys = {
        "id": digital_item,
        "codes": ["KEY-1", "KEY-2"],
        "slip": "<p>Redeem</p>",
        "activate_till": "2030-12-31",
    }
    on = {"campaignId": seeded.campaign_id}
    sure: dict[str, CaseParts] = {
        "provideOrderDigitalCodes": {
            "path_parameters": {**on, "orderId": digital},
            "body": {"items": [keys]},
        },
        "setOrderDeliveryTrackCode": {
            "path_parameters": {**on, "orderId": physical},
            "body": {"trackCode": "RA123456789RU", "deliveryServiceId": 99},
        },
        "provideOrderItemIdentifiers": {
            "path_parameters": {**on, "orderId": physical},
            "body": {"items": [{"id": physical_item, "instances": []}]},
        },
        "getOrderIdentifiersStatus": {"path_parameters": {**on, "orderId": physical}},
    }
    for operation in _operations(schema):
        case = schema.make_case(
            operation=operation, **sure[operation.definition.raw["operationId"]]
        )
        assert 200 <= call(case) < 300, operation.label

    report = {label: dict(sorted(counts.items())) for label, counts in sorted(statuses.items())}
    record_property("status_counts", report)
    print("\nstatus counts:", report)
    assert len(report) == len(OPERATIONS)
    for label, counts in report.items():
        assert not any(status >= 500 for status in counts), (label, counts)
        assert any(200 <= status < 300 for status in counts), (label, counts)
