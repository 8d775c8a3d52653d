"""A campaign's settings through the sandbox: read them, change them (the cabinet's store page).

Push and notification URLs are read from the database at each use (a cart push, each recorded
notification), never kept in memory, so a change reaches every instance with its next use. When
the change points notifications at a new URL the Market checks it with a ``PING`` (R-117),
recorded in the same transaction as the change.
"""

from __future__ import annotations

from datetime import datetime

from dbskit.contract.errors import Messages, NotFound
from dbskit.contract.notifications import ping
from dbskit.contract.sandbox_campaigns import CampaignSettings, CampaignSettingsChange
from dbskit.database.db import Database, Transaction
from dbskit.market.services.outbox import record_notification
from dbskit.market.storage.campaign_settings import (
    change_campaign_settings,
    load_campaign_settings,
)


def _require(conn: Transaction, campaign_id: int, *, for_update: bool) -> CampaignSettings:
    found = load_campaign_settings(conn, campaign_id, for_update=for_update)
    if found is None:
        raise NotFound(Messages.CAMPAIGN_NOT_FOUND.format(campaign_id=campaign_id))
    return found


async def get_campaign_settings(db: Database, *, campaign_id: int) -> CampaignSettings:
    return await db.run_read(lambda conn: _require(conn, campaign_id, for_update=False))


async def update_campaign_settings(
    db: Database, *, campaign_id: int, change: CampaignSettingsChange, now: datetime
) -> CampaignSettings:
    """Write the fields the change names; a notification URL that is new sends a PING."""

    def work(conn: Transaction) -> CampaignSettings:
        before = _require(conn, campaign_id, for_update=True)
        changes = change.changes()
        if "push_auth_mode" in changes:
            changes["push_auth_mode"] = changes["push_auth_mode"].value
        change_campaign_settings(conn, campaign_id, changes)
        after = _require(conn, campaign_id, for_update=False)
        if after.notification_url and after.notification_url != before.notification_url:
            record_notification(
                conn,
                campaign_id=campaign_id,
                order_id=None,
                payload=ping(time=now),
                notification_url=after.notification_url,
                now=now,
            )
        return after

    return await db.run_write(work)
