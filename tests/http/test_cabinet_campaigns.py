"""The cabinet's lists: campaigns a page at a time, newest first, and a campaign's business's keys
by id, scopes and times, never the key; a key issued and revoked from the list; the outbox read
a page at a time from the database."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from dbskit.contract.outbox import MessageKind, MessageState, OutboxMessage
from dbskit.market.services import outbox as outbox_service
from dbskit.market.storage.outbox import insert_message, message_page
from tests.factories import SANDBOX, create_campaign, create_token, runtime_of
from tests.http.cabinet_pages import post_form, sign_in

OUTBOX_SIZE = 500  # the brief's outbox: ten pages of the default 50
OUTBOX_PAGE = 50  # the page's default size (services/outbox.py: OUTBOX_PAGE)


def listed(page: str, testid: str, attribute: str) -> list[int]:
    return [int(v) for v in re.findall(rf'data-testid="{testid}" {attribute}="(\d+)"', page)]


def next_link(page: str) -> str | None:
    found = re.search(r'href="([^"]+)" rel="next"', page)
    return None if found is None else html.unescape(found.group(1))


def problems(page: str) -> list[str]:
    block = re.search(r'data-testid="problems">(.*?)</ul>', page, re.S)
    assert block is not None, page
    return re.findall(r"<li>(.*?)</li>", block.group(1), re.S)


@pytest.mark.decision("Campaigns and keys in the cabinet")
async def test_campaigns_are_listed_newest_first_a_page_at_a_time(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    first = await create_campaign(client, name="First store", pushAuthToken="push-secret-1")
    business = first["businessId"]
    second = await create_campaign(client, name="Second store", businessId=business)
    third = await create_campaign(
        client, name="Third store", businessId=business, notificationUrl="http://127.0.0.1:9/n"
    )
    other = await create_campaign(client, name="Another business")
    await sign_in(client)

    everything = (await client.get("/cabinet/campaigns")).text
    demo = runtime_of(app).demo
    assert demo is not None
    assert listed(everything, "campaign-row", "data-campaign-id") == [
        other["campaignId"],
        third["campaignId"],
        second["campaignId"],
        first["campaignId"],
        demo.campaign_id,
    ]
    assert next_link(everything) is None
    assert "push-secret-1" not in everything  # the store's push token is never shown
    assert "(token set)" in everything

    page = await client.get("/cabinet/campaigns", params={"business": business, "limit": 2})
    assert listed(page.text, "campaign-row", "data-campaign-id") == [
        third["campaignId"],
        second["campaignId"],
    ]
    following = next_link(page.text)
    assert (
        following == f"/cabinet/campaigns?business={business}&limit=2&cursor={second['campaignId']}"
    )
    last = (await client.get(following)).text
    assert listed(last, "campaign-row", "data-campaign-id") == [first["campaignId"]]
    assert next_link(last) is None

    nobody = (await client.get("/cabinet/campaigns", params={"business": 999_999_999})).text
    assert 'data-testid="no-campaigns"' in nobody


@pytest.mark.decision("Campaigns and keys in the cabinet")
@pytest.mark.decision("Campaigns and keys")
async def test_a_key_issued_from_a_campaign_is_listed_by_id_and_revoked_from_the_list(
    client: httpx.AsyncClient,
) -> None:
    campaign = await create_campaign(client, name="Keyed store")
    campaign_id, business = campaign["campaignId"], campaign["businessId"]
    path = f"/cabinet/campaigns/{campaign_id}"
    await sign_in(client)
    before = await client.get(path)
    assert 'data-testid="no-keys"' in before.text

    issued = await post_form(
        client,
        "/cabinet/keys",
        {
            "businessId": str(business),
            "campaign": str(campaign_id),
            "type": "API_KEY",
            "scopes": ["inventory-and-order-processing"],
        },
        page=before.text,
    )
    assert issued.status_code == 200
    key = re.search(r'data-testid="issued-key" readonly value="([^"]+)"', issued.text)
    assert key is not None
    secret = key.group(1)
    assert f'href="{path}#keys" data-testid="back-to-campaign"' in issued.text
    token_id = int(re.search(r"<h1>Key (\d+) issued</h1>", issued.text).group(1))  # type: ignore[union-attr]

    page = (await client.get(path)).text
    assert listed(page, "key-listed", "data-token-id") == [token_id]
    assert "inventory-and-order-processing" in page
    assert secret not in page
    assert hashlib.sha256(secret.encode()).hexdigest() not in page  # nor its fingerprint
    assert f'action="/cabinet/keys/{token_id}/revoke"' in page
    orders = f"/v2/campaigns/{campaign_id}/orders"
    assert (await client.get(orders, headers={"Api-Key": secret})).status_code == 200

    revoked = await post_form(
        client, f"/cabinet/keys/{token_id}/revoke", {"campaign": str(campaign_id)}, page=page
    )
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"{path}?done=key-revoked"
    assert (await client.get(orders, headers={"Api-Key": secret})).status_code == 401
    after = (await client.get(revoked.headers["location"])).text
    assert "Key revoked." in after
    state = re.search(r'data-testid="key-state">([^<]*)<', after)
    assert state is not None and state.group(1).startswith("revoked ")
    assert f'action="/cabinet/keys/{token_id}/revoke"' not in after  # nothing left to revoke

    again = await post_form(client, f"/cabinet/keys/{token_id}/revoke", {}, page=after)
    assert again.status_code == 303  # revoking a revoked key changes nothing
    assert again.headers["location"] == "/cabinet/campaigns?done=key-revoked"
    missing = await post_form(client, "/cabinet/keys/999999999/revoke", {}, page=after)
    assert missing.status_code == 404
    assert "Token not found" in problems(missing.text)


@pytest.mark.decision("Campaigns and keys in the cabinet")
async def test_a_businesss_keys_are_paged_newest_first_with_their_kind_and_scopes(
    client: httpx.AsyncClient,
) -> None:
    campaign = await create_campaign(client)
    campaign_id, business = campaign["campaignId"], campaign["businessId"]
    api_key = await create_token(client, business, ["finance-and-accounting"])
    oauth = [await create_token(client, business, None, kind="OAUTH") for _ in range(2)]
    await create_token(client, (await create_campaign(client))["businessId"])  # another's
    await sign_in(client)

    page = (await client.get(f"/cabinet/campaigns/{campaign_id}", params={"limit": 2})).text
    assert listed(page, "key-listed", "data-token-id") == [
        oauth[1]["tokenId"],
        oauth[0]["tokenId"],
    ]
    assert page.count("<td>OAUTH</td>") == 2
    following = next_link(page)
    assert (
        following == f"/cabinet/campaigns/{campaign_id}?limit=2&cursor={oauth[0]['tokenId']}#keys"
    )
    last = (await client.get(following)).text
    assert listed(last, "key-listed", "data-token-id") == [api_key["tokenId"]]
    assert "<td>API_KEY</td><td>finance-and-accounting</td>" in last
    assert next_link(last) is None


@pytest.mark.decision("The cabinet's pages and parameters")
async def test_a_list_cursor_not_given_by_the_server_is_a_400_naming_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    demo = runtime_of(app).demo
    assert demo is not None
    await sign_in(client)
    for path in ("/cabinet/campaigns", f"/cabinet/campaigns/{demo.campaign_id}"):
        for cursor in ("abc", "-1", "0", "01", "1.5", "9" * 20, "٣"):
            response = await client.get(path, params={"cursor": cursor})
            assert response.status_code == 400, (path, cursor)
            assert problems(response.text)[0].startswith("Field cursor"), (path, cursor)
    response = await client.get("/cabinet/campaigns", params={"limit": "201"})
    assert response.status_code == 400
    assert problems(response.text)[0].startswith("Field limit")


@pytest.mark.decision("The cabinet's pages and parameters")
async def test_an_outbox_of_500_messages_is_read_a_page_at_a_time(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = await create_campaign(client)
    campaign_id = campaign["campaignId"]
    runtime = runtime_of(app)
    start = runtime.clock.now()
    # Two messages share each moment, so the id orders them where the time cannot.
    with runtime.db.write() as conn:
        ids = [
            insert_message(
                conn,
                kind=MessageKind.NOTIFICATION,
                campaign_id=campaign_id,
                order_id=None,
                payload={"notificationType": "PING", "n": n},
                notification_url=None,
                state=MessageState.NOT_SENT,
                now=start + timedelta(seconds=n // 2),
                next_attempt_at=None,
            )
            for n in range(OUTBOX_SIZE)
        ]
    newest_first = ids[::-1]

    read: list[list[OutboxMessage]] = []

    def spy(*args: object, **kwargs: object) -> list[OutboxMessage]:
        found = message_page(*args, **kwargs)  # type: ignore[arg-type]
        read.append(found)
        return found

    monkeypatch.setattr(outbox_service, "message_page", spy)
    await sign_in(client)
    page = (await client.get("/cabinet/outbox", params={"campaign": campaign_id})).text
    # The storage read gave one page and one more message (the sign of a next page), not 500.
    assert [len(found) for found in read] == [OUTBOX_PAGE + 1]
    assert [m.id for m in read[0]] == newest_first[: OUTBOX_PAGE + 1]
    shown = [int(i) for i in re.findall(r'id="message-(\d+)" data-testid="outbox-message"', page)]
    assert shown == newest_first[:OUTBOX_PAGE]
    following = next_link(page)
    assert following is not None
    assert following.startswith(f"/cabinet/outbox?campaign={campaign_id}&cursor=")

    seen = shown
    while following is not None:
        page = (await client.get(following)).text
        seen += [
            int(i) for i in re.findall(r'id="message-(\d+)" data-testid="outbox-message"', page)
        ]
        following = next_link(page)
    assert seen == newest_first  # every message once, newest first
    assert [len(found) for found in read] == [OUTBOX_PAGE + 1] * 9 + [OUTBOX_PAGE]

    read.clear()
    small = (await client.get("/cabinet/outbox", params={"campaign": campaign_id, "limit": 3})).text
    assert [len(found) for found in read] == [4]
    assert "limit=3&amp;cursor=" in small
    sandbox = await client.get(
        "/sandbox/outbox", params={"campaignId": campaign_id}, headers=SANDBOX
    )
    assert [
        m["id"] for m in sandbox.json()["messages"]
    ] == ids  # the control plane: all, oldest first
