"""What the Subscriptions page shows and writes: every subscription wherever it is defined (secrets,
the subscriptions file, the app-state store) with who receives what within which units, a stored
subscription's definition from the page's form, and the send log. The store's own functions
(`store.add_subscription`, …) check and write; this module only shapes.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .store import send_log, stored_definitions
from .subscriptions import collect_subscriptions

CONTENT_WORDS = {"digest": "what-changed digest", "pack": "monthly pack", "alerts": "alerts",
                 "chase_list": "chase list"}
CHANNEL_WORDS = {"email": "E-mail", "teams": "Teams", "slack": "Slack"}
SENT_COLUMNS = ["subscription", "month", "status", "attempts", "channel", "recipient", "claimed_at",
                "finished_at", "detail"]


def overview(secrets: Mapping[str, Any] | None, subscriptions_file: str, store,
             environ: Mapping[str, str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """One row per subscription (name, where it is defined, channel, recipient, what it sends,
    the units it may see, enabled), and one line per subscription that cannot be used."""
    subs, problems = collect_subscriptions(secrets, subscriptions_file, stored_definitions(store) if store else [],
                                           environ)
    rows = [{"name": s.name, "origin": "this page" if s.origin == "store" else s.origin,
             "channel": CHANNEL_WORDS.get(s.channel, s.channel), "recipient": s.recipient,
             "sends": ", ".join(CONTENT_WORDS.get(c, c) for c in s.send),
             "scope": s.scope(secrets).describe(), "enabled": s.enabled} for s in subs]
    columns = ["name", "origin", "channel", "recipient", "sends", "scope", "enabled"]
    return pd.DataFrame(rows, columns=columns), problems


def definition(*, channel: str, address: str, send: Sequence[str], pack_formats: Sequence[str] = ("pptx",),
               kpis: Sequence[str] = (), alerts: Sequence[Mapping[str, Any]] = (),
               business_units: Sequence[str] = (), project_manager: str = "",
               enabled: bool = True) -> dict[str, Any]:
    """A subscription's TOML table from the page's fields (keys left out when empty, so the
    defaults apply). `channel`: email, teams, slack, or teams_env / slack_env naming a variable."""
    out: dict[str, Any] = {channel: address.strip(), "send": list(send)}
    if "pack" in send:
        out["pack_formats"] = list(pack_formats)
    if kpis:
        out["kpis"] = list(kpis)
    if alerts:
        out["alerts"] = [{k: v for k, v in a.items() if v not in (None, "")} for a in alerts]
    if business_units:   # none given: the subscriber's scope is looked up as a viewer's is
        out["business_units"] = list(business_units)
    if project_manager.strip():
        out["project_manager"] = project_manager.strip()
    if not enabled:
        out["enabled"] = False
    return out


def sent(store, limit: int = 200) -> pd.DataFrame:
    """The latest `limit` entries of the send log, newest first."""
    records = send_log(store)[-limit:][::-1]
    return pd.DataFrame([{c: getattr(r, c) for c in SENT_COLUMNS} for r in records], columns=SENT_COLUMNS)
