"""Subscriptions kept in the app-state store, and the send log.

A stored subscription is the same table a `[subscriptions.NAME]` in secrets.toml holds, kept as a
JSON document and validated by `parse_subscription` before it is written, so the store never holds
one the scheduler would refuse.

The send log has one row per (subscription, month, load). A run *claims* a row (status
`sending`) before it delivers and marks it `sent`, `failed` or `nothing` (nothing was due) after.
The unique key makes two runs that start together deliver once: the second one's claim fails. A
claim left behind by a run that died is taken over by the next run — at once when that run was on
this machine and its process is gone, after `send_claim_timeout_seconds` otherwise.
"""
from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

import sqlalchemy as sa

from ..appstate import MAX_NAME, AppState, AppStateError
from ..appstate.schema import sends, subscriptions
from .subscriptions import Subscription, SubscriptionError, parse_subscription

DELIVERED = ("sent", "nothing")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _author(author: Any) -> str:
    if not isinstance(author, str) or not author.strip():
        raise AppStateError("the author must not be empty")
    if len(author.strip()) > MAX_NAME:
        raise AppStateError(f"the author is longer than {MAX_NAME} characters")
    return author.strip()


# -- subscriptions ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredSubscription:
    name: str
    definition: dict[str, Any]
    author: str
    created_at: datetime
    updated_at: datetime


def _validated(name: str, definition: Mapping[str, Any]) -> str:
    try:
        parse_subscription(name, definition, "store", environ=None)
    except SubscriptionError as exc:
        raise AppStateError(str(exc)) from None
    return json.dumps(dict(definition), sort_keys=True)


def add_subscription(store: AppState, name: str, definition: Mapping[str, Any], author: str) -> None:
    """Store a new subscription; a name in use is refused."""
    doc, author, now = _validated(name, definition), _author(author), _now()
    with store.engine.begin() as con:
        if con.execute(sa.select(subscriptions.c.name).where(subscriptions.c.name == name)).first():
            raise AppStateError(f"a subscription named {name!r} exists already; edit it or pick another name")
        con.execute(subscriptions.insert().values(name=name, definition=doc, author=author, created_at=now,
                                                  updated_at=now))


def edit_subscription(store: AppState, name: str, definition: Mapping[str, Any], author: str) -> None:
    """Replace a stored subscription's definition."""
    doc, author = _validated(name, definition), _author(author)
    with store.engine.begin() as con:
        done = con.execute(subscriptions.update().where(subscriptions.c.name == name).values(
            definition=doc, author=author, updated_at=_now())).rowcount
    if not done:
        raise AppStateError(f"there is no stored subscription named {name!r}")


def delete_subscription(store: AppState, name: str) -> None:
    """Remove a stored subscription; what was sent to it stays in the send log."""
    with store.engine.begin() as con:
        if not con.execute(subscriptions.delete().where(subscriptions.c.name == name)).rowcount:
            raise AppStateError(f"there is no stored subscription named {name!r}")


def stored_subscriptions(store: AppState) -> list[StoredSubscription]:
    """Every stored subscription, by name."""
    with store.engine.connect() as con:
        rows = con.execute(sa.select(subscriptions).order_by(subscriptions.c.name)).all()
    return [StoredSubscription(r.name, json.loads(r.definition), r.author, r.created_at, r.updated_at) for r in rows]


def stored_definitions(store: AppState) -> list[tuple[str, dict[str, Any]]]:
    """(name, definition) pairs, as `collect_subscriptions` takes them."""
    return [(s.name, s.definition) for s in stored_subscriptions(store)]


# -- the send log ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SendKey:
    subscription: str
    month: str
    load_id: str


@dataclass(frozen=True)
class SendRecord:
    subscription: str
    month: str
    load_id: str
    status: str
    attempts: int
    channel: str
    recipient: str
    message_id: str | None
    detail: str
    claimed_by: str
    claimed_at: datetime
    finished_at: datetime | None


def this_run() -> str:
    """Who holds a claim: 'host:pid'."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _gone(owner: str) -> bool:
    """Whether the run named `owner` was on this machine and its process has ended."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:   # alive, under another user
        return False
    return False


def send_log(store: AppState, subscription: str | None = None, month: str | None = None) -> list[SendRecord]:
    """The send log, oldest claim first, optionally for one subscription and/or month."""
    q = sa.select(sends).order_by(sends.c.claimed_at, sends.c.send_id)
    if subscription is not None:
        q = q.where(sends.c.subscription == subscription)
    if month is not None:
        q = q.where(sends.c.month == month)
    with store.engine.connect() as con:
        return [SendRecord(**{k: v for k, v in r._mapping.items() if k != "send_id"}) for r in con.execute(q)]


def delivered(store: AppState, sub: Subscription, key: SendKey) -> SendRecord | None:
    """The log entry that makes `key` done already: this load's, or — for a subscription that does
    not resend after a reload — any load's of the month."""
    q = sa.select(sends).where(sends.c.subscription == key.subscription, sends.c.month == key.month,
                               sends.c.status.in_(DELIVERED)).order_by(sends.c.send_id)
    if sub.resend_on_reload:
        q = q.where(sends.c.load_id == key.load_id)
    with store.engine.connect() as con:
        row = con.execute(q).first()
    return None if row is None else SendRecord(**{k: v for k, v in row._mapping.items() if k != "send_id"})


def claim(store: AppState, key: SendKey, channel: str, recipient: str, *, stale_after: timedelta,
          owner: str | None = None, now: datetime | None = None) -> bool:
    """Take `key` for sending; False when it is delivered already or another live run holds it."""
    owner, now = owner or this_run(), now or _now()
    values = dict(subscription=key.subscription, month=key.month, load_id=key.load_id, status="sending",
                  attempts=0, channel=channel, recipient=recipient[:320], claimed_by=owner, claimed_at=now)
    try:
        with store.engine.begin() as con:
            con.execute(sends.insert().values(**values))
        return True
    except sa.exc.IntegrityError:
        pass  # a row exists: see below whether it may be taken over
    where = (sends.c.subscription == key.subscription, sends.c.month == key.month, sends.c.load_id == key.load_id)
    with store.engine.begin() as con:
        row = con.execute(sa.select(sends).where(*where)).first()
        if row is None or row.status in DELIVERED:
            return False
        if row.status == "sending" and not (_gone(row.claimed_by) or row.claimed_at < now - stale_after):
            return False
        # Only if nobody changed the row since it was read: two runs taking over at once get one winner.
        taken = con.execute(sends.update().where(
            *where, sends.c.status == row.status, sends.c.claimed_by == row.claimed_by,
            sends.c.claimed_at == row.claimed_at).values(
            status="sending", channel=channel, recipient=recipient[:320], claimed_by=owner, claimed_at=now,
            finished_at=None)).rowcount
    return taken == 1


def record_attempt(store: AppState, key: SendKey) -> None:
    """Count one delivery attempt of a claimed send."""
    with store.engine.begin() as con:
        con.execute(sends.update().where(
            sends.c.subscription == key.subscription, sends.c.month == key.month,
            sends.c.load_id == key.load_id).values(attempts=sends.c.attempts + 1))


def finish(store: AppState, key: SendKey, status: str, detail: str = "", message_id: str | None = None,
           owner: str | None = None) -> None:
    """Mark a claimed send sent, failed or nothing (nothing was due)."""
    if status not in ("sent", "failed", "nothing"):
        raise ValueError(f"a send finishes as sent, failed or nothing, not {status!r}")
    with store.engine.begin() as con:
        con.execute(sends.update().where(
            sends.c.subscription == key.subscription, sends.c.month == key.month, sends.c.load_id == key.load_id,
            sends.c.claimed_by == (owner or this_run())).values(
            status=status, detail=detail[:2000], message_id=message_id, finished_at=_now()))
