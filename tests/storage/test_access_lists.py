"""The lists a seller looks at, on SQLite and PostgreSQL: campaigns and a business's tokens newest
first by id, a page at a time, tokens never with their fingerprint; and the outbox a page at a
time, newest first by time then id, each message with its own attempts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from dbskit.contract.operations import Scope
from dbskit.contract.outbox import AttemptResult, MessageKind, MessageState, OutboxAttempt
from dbskit.database.db import Database
from dbskit.market.domain.access import CredentialKind
from dbskit.market.storage.access import (
    campaign_list,
    insert_business,
    insert_campaign,
    insert_token,
    revoke_token,
    token_fingerprint,
    token_list,
)
from dbskit.market.storage.outbox import insert_message, message_page, record_attempts

NOW = datetime(2030, 3, 1, tzinfo=UTC)


def _campaign(db: Database, business_id: int, name: str, *, push_token: str | None = None) -> int:
    with db.write() as conn:
        return insert_campaign(
            conn,
            business_id=business_id,
            name=name,
            push_url=None,
            push_auth_token=push_token,
            push_auth_mode="HEADER",
            notification_url="http://127.0.0.1:9/n" if push_token else None,
            now=NOW,
        )


def _business(db: Database) -> int:
    with db.write() as conn:
        return insert_business(conn, name="Shop", now=NOW)


def test_campaigns_listed_newest_first_a_page_at_a_time(db: Database) -> None:
    first, second = _business(db), _business(db)
    ids = [
        _campaign(db, first, "A", push_token="push-secret"),
        _campaign(db, second, "B"),
        _campaign(db, first, "C"),
    ]
    with db.read() as conn:
        everything = campaign_list(conn, limit=10)
        assert [c.campaign_id for c in everything] == ids[::-1]
        assert [c.campaign_id for c in campaign_list(conn, limit=2)] == [ids[2], ids[1]]
        assert [c.campaign_id for c in campaign_list(conn, before=ids[1], limit=2)] == [ids[0]]
        of_first = campaign_list(conn, business_id=first, limit=10)
        assert [c.campaign_id for c in of_first] == [ids[2], ids[0]]
        assert campaign_list(conn, business_id=first, before=ids[0], limit=10) == []
    listed = everything[-1]
    assert (listed.business_id, listed.name, listed.active) == (first, "A", True)
    assert (listed.push_token_set, listed.notification_url) == (True, "http://127.0.0.1:9/n")
    assert listed.created_at == NOW
    assert "push-secret" not in repr(dataclasses.astuple(listed))


def test_a_businesss_tokens_listed_by_id_without_their_fingerprint(db: Database) -> None:
    business, other = _business(db), _business(db)
    with db.write() as conn:
        api_key = insert_token(
            conn,
            business_id=business,
            kind=CredentialKind.API_KEY,
            key_hash="a" * 64,
            scopes=[Scope.FINANCE_AND_ACCOUNTING, Scope.ALL_METHODS],
            now=NOW,
            expires_at=None,
        )
        insert_token(
            conn,
            business_id=other,
            kind=CredentialKind.API_KEY,
            key_hash="b" * 64,
            scopes=[Scope.ALL_METHODS],
            now=NOW,
            expires_at=None,
        )
        oauth = insert_token(
            conn,
            business_id=business,
            kind=CredentialKind.OAUTH,
            key_hash="c" * 64,
            scopes=[],
            now=NOW,
            expires_at=NOW + timedelta(days=365),
        )
        revoke_token(conn, api_key, now=NOW + timedelta(hours=1))
    with db.read() as conn:
        tokens = token_list(conn, business, limit=10)
        assert [t.token_id for t in token_list(conn, business, limit=1)] == [oauth]
        assert [t.token_id for t in token_list(conn, business, before=oauth, limit=1)] == [api_key]
        assert token_list(conn, business, before=api_key, limit=10) == []
        assert token_fingerprint(conn, api_key) == "a" * 64
        assert token_fingerprint(conn, oauth + 1000) is None
    assert [t.token_id for t in tokens] == [oauth, api_key]
    newest, oldest = tokens
    assert (newest.kind, newest.scopes, newest.expires_at, newest.revoked_at) == (
        CredentialKind.OAUTH,
        (),
        NOW + timedelta(days=365),
        None,
    )
    assert (oldest.kind, oldest.revoked_at, oldest.created_at) == (
        CredentialKind.API_KEY,
        NOW + timedelta(hours=1),
        NOW,
    )
    assert set(oldest.scopes) == {Scope.FINANCE_AND_ACCOUNTING, Scope.ALL_METHODS}
    assert "a" * 64 not in repr(dataclasses.astuple(oldest))


def test_the_outbox_read_a_page_at_a_time_newest_first(db: Database, campaign: int) -> None:
    # Three messages share each moment (so the id orders them), and ids do not follow time: the
    # later ones were written first, as an event that fell due earlier can be written later.
    times = [NOW + timedelta(minutes=10 - n // 3) for n in range(12)]
    with db.write() as conn:
        ids = [
            insert_message(
                conn,
                kind=MessageKind.NOTIFICATION,
                campaign_id=campaign if n % 4 else campaign + 1,
                order_id=7 if n % 2 else None,
                payload={"n": n},
                notification_url="http://127.0.0.1:9/n",
                state=MessageState.PENDING,
                now=at,
                next_attempt_at=at,
            )
            for n, at in enumerate(times)
        ]
        attempt = OutboxAttempt(
            number=1,
            scheduled_at=NOW,
            attempted_at=NOW,
            url="http://127.0.0.1:9/n",
            duration_ms=3,
            result=AttemptResult.DELIVERED,
            http_status=200,
        )
        record_attempts(conn, [(ids[0], attempt), (ids[5], attempt)])
    newest_first = [
        message_id
        for _, message_id in sorted(
            zip(times, ids, strict=True), key=lambda pair: (pair[0], pair[1])
        )
    ][::-1]

    with db.read() as conn:
        seen: list[int] = []
        after = None
        while True:
            page = message_page(conn, after=after, limit=5)
            seen += [message.id for message in page]
            if len(page) < 5:
                break
            after = (page[-1].created_at, page[-1].id)
        assert seen == newest_first
        whole = {m.id: m for m in message_page(conn, limit=100)}
        assert [a.number for a in whole[ids[0]].attempts] == [1]
        assert [a.number for a in whole[ids[5]].attempts] == [1]
        assert whole[ids[1]].attempts == []
        assert whole[ids[4]].payload == {"n": 4}

        of_campaign = message_page(conn, campaign_id=campaign, order_id=7, limit=100)
        wanted = [i for i in newest_first if ids.index(i) % 4 and ids.index(i) % 2]
        assert [m.id for m in of_campaign] == wanted
        last = of_campaign[0]
        assert [
            m.id
            for m in message_page(
                conn, campaign_id=campaign, order_id=7, after=(last.created_at, last.id), limit=2
            )
        ] == wanted[1:3]
        assert message_page(conn, campaign_id=campaign + 2, limit=10) == []
