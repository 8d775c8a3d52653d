"""Campaigns and keys: the campaigns listed a page at a time, make one, open one, change its push
and notification settings, switch its API access, send a PING; its business's keys listed (by
id, scopes and times: the sandbox keeps no key), issue one (shown once) and revoke one."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from dbskit.cabinet._auth import PREFIX, posted_form, signed_in
from dbskit.cabinet._fields import BadField, Fields, echoed, page_link, path_id
from dbskit.cabinet._models import model_from
from dbskit.cabinet._views import done, render
from dbskit.contract.operations import Scope
from dbskit.contract.sandbox_access import (
    CampaignCreate,
    PushAuthMode,
    TokenCreate,
    TokenRevoke,
    TokenType,
)
from dbskit.contract.sandbox_campaigns import CampaignSettingsChange
from dbskit.market.services import sandbox_triggers
from dbskit.market.services.access import LIST_PAGE, LIST_PAGE_MAX, InvalidListCursor
from dbskit.market.services.campaign_settings import (
    get_campaign_settings,
    update_campaign_settings,
)

CAMPAIGNS_PATH: Final = PREFIX + "/campaigns"
CAMPAIGN_ID: Final = "campaign_id"
KEY_ID: Final = "key_id"  # a token's id, as the keys list shows it
LIST_FILTERS: Final = ("business", "limit")
CURSOR_MAX: Final = 20  # the digits of the largest id; a cursor is the id a page starts below
# The settings a form may clear: an empty URL field clears the URL; the push token is never
# shown, so it changes only when typed in and clears only with its own box ticked.
CLEARED_URLS: Final = frozenset({"pushUrl", "notificationUrl"})


def campaign_path(campaign_id: int) -> str:
    return f"{CAMPAIGNS_PATH}/{campaign_id}"


async def campaigns_page(request: Request) -> Response:
    visit = signed_in(request)
    demo = visit.runtime.demo
    query = Fields.of_query(request)
    try:
        found = await visit.runtime.access.list_campaigns(
            business_id=query.integer("business"),
            limit=query.integer("limit", high=LIST_PAGE_MAX) or LIST_PAGE,
            cursor=query.text("cursor", max_length=CURSOR_MAX),
        )
    except InvalidListCursor:
        raise BadField("cursor", "not a page position this server gave") from None
    next_page = None
    if found.next_cursor is not None:
        next_page = page_link(CAMPAIGNS_PATH, query, LIST_FILTERS, cursor=found.next_cursor)
    return render(
        request,
        visit,
        "campaigns.html",
        section="campaigns",
        demo=demo,
        campaigns=found.campaigns,
        next_page=next_page,
        form=echoed(query, LIST_FILTERS),
        scopes=[scope.value for scope in Scope],
        token_types=[kind.value for kind in TokenType],
        push_modes=[mode.value for mode in PushAuthMode],
    )


async def open_campaign(request: Request) -> Response:
    signed_in(request)
    campaign_id = Fields.of_query(request).required_integer("campaign")
    return RedirectResponse(campaign_path(campaign_id), status_code=303)


async def create_campaign(request: Request) -> Response:
    visit, fields = await posted_form(request)
    body = model_from(
        CampaignCreate,
        {
            "name": fields.text("name"),
            "businessId": fields.integer("businessId"),
            "pushUrl": fields.text("pushUrl"),
            "pushAuthToken": fields.text("pushAuthToken"),
            "pushAuthMode": fields.raw("pushAuthMode"),
            "notificationUrl": fields.text("notificationUrl"),
        },
    )
    created = await visit.runtime.access.create_campaign(body)
    return done(campaign_path(created.campaign_id), "campaign-created")


async def campaign_page(request: Request) -> Response:
    """The campaign's settings and its business's keys, newest first, a page at a time."""
    visit = signed_in(request)
    campaign_id = path_id(request, CAMPAIGN_ID)
    query = Fields.of_query(request)
    limit = query.integer("limit", high=LIST_PAGE_MAX) or LIST_PAGE
    cursor = query.text("cursor", max_length=CURSOR_MAX)
    runtime = visit.runtime
    settings = await get_campaign_settings(runtime.db, campaign_id=campaign_id)
    try:
        keys = await runtime.access.list_tokens(settings.business_id, limit=limit, cursor=cursor)
    except InvalidListCursor:
        raise BadField("cursor", "not a page position this server gave") from None
    path = campaign_path(campaign_id)
    next_page = None
    if keys.next_cursor is not None:
        next_page = page_link(path, query, ("limit",), cursor=keys.next_cursor) + "#keys"
    return render(
        request,
        visit,
        "campaign.html",
        section="campaigns",
        campaign=settings,
        keys=keys.tokens,
        keys_next_page=next_page,
        keys_first_page=cursor is None,
        push_modes=[mode.value for mode in PushAuthMode],
        scopes=[scope.value for scope in Scope],
        token_types=[kind.value for kind in TokenType],
    )


async def change_settings(request: Request) -> Response:
    visit, fields = await posted_form(request)
    campaign_id = path_id(request, CAMPAIGN_ID)
    token = fields.text("pushAuthToken")
    clear_token = bool(fields.flag("clearPushAuthToken"))
    if clear_token and token is not None:
        raise BadField("clearPushAuthToken", "clear the push token or type a new one")
    document: dict[str, object] = {
        "name": fields.text("name"),
        "pushAuthMode": fields.raw("pushAuthMode"),
        "pushAuthToken": token,
    }
    for name in CLEARED_URLS:
        document[name] = fields.text(name)
    nulls = CLEARED_URLS | ({"pushAuthToken"} if clear_token else set())
    change = model_from(CampaignSettingsChange, document, nulls=frozenset(nulls))
    runtime = visit.runtime
    await update_campaign_settings(
        runtime.db, campaign_id=campaign_id, change=change, now=runtime.clock.now()
    )
    return done(campaign_path(campaign_id), "settings-saved")


async def change_activity(request: Request) -> Response:
    visit, fields = await posted_form(request)
    campaign_id = path_id(request, CAMPAIGN_ID)
    active = fields.flag("active")
    if active is None:
        raise BadField("active", "must be yes or no")
    await visit.runtime.access.set_campaign_active(campaign_id, active=active)
    return done(campaign_path(campaign_id), "activity-changed")


async def send_ping(request: Request) -> Response:
    visit, _fields = await posted_form(request)
    campaign_id = path_id(request, CAMPAIGN_ID)
    runtime = visit.runtime
    await sandbox_triggers.send_ping(runtime.db, campaign_id=campaign_id, now=runtime.clock.now())
    return done(campaign_path(campaign_id), "ping-sent")


async def create_key(request: Request) -> Response:
    """The new key is shown on this answer only: the sandbox keeps its hash, not the key."""
    visit, fields = await posted_form(request)
    kind = fields.choice("type", TokenType) or TokenType.API_KEY
    scopes = fields.all("scopes")
    body = model_from(
        TokenCreate,
        {
            "businessId": fields.integer("businessId", required=True),
            "type": kind.value,
            "scopes": scopes if kind is TokenType.API_KEY else (scopes or None),
        },
    )
    # The campaign page's form names its campaign, to lead back there.
    back = fields.integer("campaign")
    created = await visit.runtime.access.create_token(body)
    return render(
        request,
        visit,
        "key_created.html",
        section="campaigns",
        created=created,
        back=None if back is None else campaign_path(back),
    )


async def revoke_listed_key(request: Request) -> Response:
    """Revoke a key as a list shows it, by its id (revoking a revoked key changes nothing)."""
    visit, fields = await posted_form(request)
    token_id = path_id(request, KEY_ID)
    back = fields.integer("campaign")
    await visit.runtime.access.revoke_token_by_id(token_id)
    return done(CAMPAIGNS_PATH if back is None else campaign_path(back), "key-revoked")


async def revoke_key(request: Request) -> Response:
    visit, fields = await posted_form(request)
    secret = fields.required_text("key", max_length=255)
    field = "oauthToken" if fields.choice("type", TokenType) is TokenType.OAUTH else "apiKey"
    body = model_from(TokenRevoke, {field: secret.strip()})
    await visit.runtime.access.revoke_token(body.secret)
    return done(CAMPAIGNS_PATH, "key-revoked")


routes = [
    Route("/campaigns", campaigns_page, methods=["GET"]),
    Route("/campaigns", create_campaign, methods=["POST"]),
    Route("/campaigns/open", open_campaign, methods=["GET"]),
    Route("/campaigns/{campaign_id}", campaign_page, methods=["GET"]),
    Route("/campaigns/{campaign_id}/settings", change_settings, methods=["POST"]),
    Route("/campaigns/{campaign_id}/activity", change_activity, methods=["POST"]),
    Route("/campaigns/{campaign_id}/ping", send_ping, methods=["POST"]),
    Route("/keys", create_key, methods=["POST"]),
    Route("/keys/revoke", revoke_key, methods=["POST"]),
    Route("/keys/{key_id}/revoke", revoke_listed_key, methods=["POST"]),
]
