"""POST /admin/reload: build the new data completely, then swap; a failure keeps the old data."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from dbskit.shop.service import StoreService
from dbskit.store_data.loaders import DEMO_SETTINGS
from tests.cart_factories import MOSCOW, answer_line, cart_body, line
from tests.http.shop.conftest import store_error

KETTLE_FIVE = cart_body(MOSCOW, line("kettle-aqua-17", 5))


@pytest.fixture
def store_overrides(tmp_path: Path) -> dict[str, Any]:
    folder = tmp_path / "store"
    folder.mkdir()
    shutil.copy(DEMO_SETTINGS, folder / "store.toml")
    shutil.copy(DEMO_SETTINGS.parent / "catalogue.xml", folder / "catalogue.xml")
    return {"store_data": folder / "store.toml"}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


async def kettle_count(client: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    response = await client.post("/cart", json=KETTLE_FIVE, headers=headers)
    return response.json()["cart"]["items"]


@pytest.mark.decision("POST /cart")
async def test_reload_uses_the_new_data(
    store_client: httpx.AsyncClient, push_headers: dict[str, str], store_overrides: dict[str, Any]
) -> None:
    assert await kettle_count(store_client, push_headers) == [answer_line("kettle-aqua-17", 3)]
    catalogue = store_overrides["store_data"].parent / "catalogue.xml"
    edit(catalogue, "<count>3</count>", "<count>7</count>")
    response = await store_client.post("/admin/reload", headers=push_headers)
    assert response.status_code == 200
    assert response.json() == {
        "status": "OK",
        "source": str(store_overrides["store_data"]),
        "offers": 10,
        "regions": 25,
        "rules": 7,
        "outlets": 6,
    }
    assert await kettle_count(store_client, push_headers) == [answer_line("kettle-aqua-17", 5)]


@pytest.mark.decision("POST /cart")
async def test_failed_reload_keeps_the_old_data(
    store_client: httpx.AsyncClient,
    push_headers: dict[str, str],
    store_overrides: dict[str, Any],
    store_service: StoreService,
) -> None:
    before = store_service.data
    catalogue = store_overrides["store_data"].parent / "catalogue.xml"
    edit(catalogue, "<count>3</count>", "<count>7</count>")
    edit(catalogue, "<price>5990</price>", "<price>дорого</price>")
    response = await store_client.post("/admin/reload", headers=push_headers)
    assert response.status_code == 422
    assert response.json() == store_error(
        "STORE_DATA_INVALID",
        "the store data were not reloaded; the previous data stay in use: "
        f"{catalogue}: line 25 (offer 'headphones-wave'): price: 'дорого' is not a number",
    )
    assert store_service.data is before
    assert await kettle_count(store_client, push_headers) == [answer_line("kettle-aqua-17", 3)]


@pytest.mark.rule("R-039")
@pytest.mark.decision("POST /cart")
async def test_reload_needs_the_push_token(store_client: httpx.AsyncClient) -> None:
    response = await store_client.post("/admin/reload")
    assert response.status_code == 403
    assert response.json() == store_error(
        "FORBIDDEN", "Authorization header is missing or does not carry the push token"
    )
