"""A campaign's settings as the sandbox shows and changes them (the cabinet's store settings)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from dbskit.contract.sandbox_access import PushAuthMode
from dbskit.contract.sandbox_campaigns import CampaignSettings
from dbskit.database.db import Transaction
from dbskit.market.storage.tables import campaigns

_campaign = campaigns.c
_SETTINGS = select(
    _campaign.id,
    _campaign.business_id,
    _campaign.name,
    _campaign.active,
    _campaign.push_url,
    _campaign.push_auth_token,
    _campaign.push_auth_mode,
    _campaign.notification_url,
)
# The columns a change may write, by the change's field names.
_WRITABLE = frozenset({"name", "push_url", "push_auth_token", "push_auth_mode", "notification_url"})


def load_campaign_settings(
    conn: Transaction, campaign_id: int, *, for_update: bool = False
) -> CampaignSettings | None:
    """The campaign, or None; with ``for_update`` its row stays locked on PostgreSQL (SQLite
    writers hold the database lock already)."""
    query = _SETTINGS.where(_campaign.id == campaign_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        return None
    return CampaignSettings(
        campaign_id=row.id,
        business_id=row.business_id,
        name=row.name,
        active=bool(row.active),
        push_url=row.push_url,
        push_auth_token=row.push_auth_token,
        push_auth_mode=PushAuthMode(row.push_auth_mode),
        notification_url=row.notification_url,
    )


def change_campaign_settings(
    conn: Transaction, campaign_id: int, changes: Mapping[str, Any]
) -> None:
    """Write the given columns of the campaign (names as in ``_WRITABLE``)."""
    unknown = set(changes) - _WRITABLE
    if unknown:
        raise ValueError(f"not campaign settings: {sorted(unknown)}")
    if changes:
        conn.execute(update(campaigns).where(_campaign.id == campaign_id).values(**changes))
