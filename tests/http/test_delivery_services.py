"""GET v2/delivery/services (``getDeliveryServices``): the delivery-service directory (R-118)."""

from __future__ import annotations

import httpx
import pytest

from dbskit.market.domain.delivery_services import (
    DELIVERY_SERVICES,
    OWN_DELIVERY_SERVICE_ID,
    delivery_service,
)
from tests.conftest import envelope
from tests.factories import create_seller
from tests.reference import reference_spec


@pytest.mark.rule("R-118")
@pytest.mark.decision("Delivery services (R-118)")
async def test_the_directory_is_listed_without_a_status_field(client: httpx.AsyncClient) -> None:
    seller = await create_seller(client)
    response = await client.get("/v2/delivery/services", headers=seller.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "result": {
            "deliveryService": [
                {"id": service.id, "name": service.name} for service in DELIVERY_SERVICES
            ]
        }
    }


@pytest.mark.rule("R-118")
@pytest.mark.decision("Delivery services (R-118)")
def test_the_directory_has_unique_ids_names_and_the_own_courier_service() -> None:
    ids = [service.id for service in DELIVERY_SERVICES]
    names = [service.name for service in DELIVERY_SERVICES]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    assert all(0 < service_id < 2**63 for service_id in ids)
    own = delivery_service(OWN_DELIVERY_SERVICE_ID)
    assert own is not None and own.name == "Собственная служба доставки"
    assert delivery_service(123_456_789) is None


@pytest.mark.rule("R-118")
async def test_the_answer_validates_against_the_reference_spec(client: httpx.AsyncClient) -> None:
    import jsonschema

    spec = reference_spec()
    operation = spec["paths"]["/v2/delivery/services"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    seller = await create_seller(client)
    body = (await client.get("/v2/delivery/services", headers=seller.headers)).json()
    jsonschema.validate(body, {**schema, "components": spec["components"]})
    required = spec["components"]["schemas"]["DeliveryServiceInfoDTO"]["required"]
    assert sorted(required) == ["id", "name"]


@pytest.mark.rule("R-080", "R-082")
async def test_other_methods_on_the_path_are_405(client: httpx.AsyncClient) -> None:
    seller = await create_seller(client)
    response = await client.post("/v2/delivery/services", headers=seller.headers)
    assert response.status_code == 405
    assert response.json() == envelope(
        ("METHOD_NOT_ALLOWED", "Request method 'POST' not supported")
    )
