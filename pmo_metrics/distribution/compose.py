"""What one subscriber receives this month: the digest, the alerts that fire, their chase list and
the pack, all computed under their scope — before any channel renders it.

A `Run` holds what every subscriber of one send shares (the warehouse cursor, the month, the load,
the settings) and caches what subscribers with the same selection share (the KPI comparison, the
pack), so twenty subscribers of one business unit cost one computation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from ..access import NO_UNIT, Scope
from ..appstate import AppState
from ..filters import Filters, previous_month
from ..kpis import compare_kpis
from ..report import PPTX_MIME, HTML_MIME, file_name, render_html, render_pptx
from ..formatting import month_label
from ..review import build_review
from ..review.figure_notes import annotate, project_names, review_notes, with_scenarios
from ..saved_scenarios import records
from ..settings import Settings
from .alerts import FiredAlert, evaluate_alerts
from .chase import ChaseProject, build_chase_list
from .digest import Digest, build_digest
from .links import dashboard_link, kpi_page
from .subscriptions import Subscription


class ContentError(Exception):
    """A subscriber's content cannot be built (nothing in scope, no data); one line."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    mime: str
    data: bytes


@dataclass
class Bundle:
    """Everything one message says, independent of the channel."""

    subscription: Subscription
    month: str
    previous: str
    scope_text: str                  # "Retail" / "every business unit"
    loaded_at: datetime | None
    digest: Digest | None = None
    alerts: list[FiredAlert] = field(default_factory=list)
    chase: list[ChaseProject] | None = None
    attachments: list[Attachment] = field(default_factory=list)
    pack_title: str | None = None
    dashboard: str | None = None     # the overview under the subscriber's selection
    review_link: str | None = None   # the monthly review page (the pack, for webhooks)
    quality_link: str | None = None

    @property
    def month_label(self) -> str:
        return month_label(self.month)

    @property
    def previous_label(self) -> str:
        return month_label(self.previous)

    @property
    def is_empty(self) -> bool:
        """Nothing to say: only alerts or a chase list were asked for, and none fired / is open."""
        return not (self.digest or self.pack_title or self.alerts or self.chase)

    @property
    def subject(self) -> str:
        where = f" · {self.scope_text}" if self.scope_text != "every business unit" else ""
        if self.alerts:
            first = self.alerts[0].text.rstrip(".")
            more = f" (+{len(self.alerts) - 1} more)" if len(self.alerts) > 1 else ""
            return f"PMO alert: {first}{more} — {self.month_label}{where}"
        if self.digest is not None:
            return f"PMO digest — {self.month_label}{where}"
        if self.pack_title is not None:
            return f"{self.pack_title}{where}"
        n = sum(len(p.items) for p in self.chase or [])
        return f"Your projects: {n} thing{'s' if n != 1 else ''} to fix — {self.month_label}"

    def contents(self) -> str:
        """What the message holds, for the send log: 'digest, 2 alerts, pack (pptx)'."""
        parts = []
        if self.digest is not None:
            parts.append("digest")
        if self.alerts:
            parts.append(f"{len(self.alerts)} alert{'s' if len(self.alerts) != 1 else ''}")
        if self.chase:
            n = sum(len(p.items) for p in self.chase)
            parts.append(f"chase list ({n} item{'s' if n != 1 else ''})")
        if self.pack_title is not None:
            kinds = ", ".join(a.filename.rsplit(".", 1)[-1] for a in self.attachments) or "link"
            parts.append(f"pack ({kinds})")
        return ", ".join(parts) or "nothing"


class Run:
    """One send: the warehouse as one load left it, one month, the settings and the store."""

    def __init__(self, con, month: str, load_id: str, loaded_at: datetime | None, settings: Settings,
                 secrets: Any = None, store: AppState | None = None):
        self.con, self.month, self.load_id, self.loaded_at = con, month, load_id, loaded_at
        self.settings, self.secrets, self.store = settings, secrets, store
        self.previous = previous_month(month)
        self._frames: dict[Filters, pd.DataFrame] = {}
        self._packs: dict[tuple[Filters, str], tuple[str, Attachment]] = {}

    def filters_for(self, sub: Subscription) -> tuple[Scope, Filters]:
        scope = sub.scope(self.secrets)
        if scope.restricted and not scope.business_units:
            who = f"user {sub.user!r}" if sub.user else ("its address" if sub.channel == "email" else "it")
            raise ContentError(f"no business unit in scope: {who} is not in [scoping.users]; give "
                               "business_units or a listed user")
        filters = scope.apply(Filters(as_of=self.month, portfolios=sub.portfolios, programs=sub.programs))
        if NO_UNIT in filters.business_units:
            raise ContentError("no business unit in scope")
        return scope, filters

    def frame(self, filters: Filters) -> pd.DataFrame:
        if filters not in self._frames:
            self._frames[filters] = compare_kpis(self.con, filters)
        return self._frames[filters]

    def _notes(self, filters: Filters) -> dict[str, str]:
        """PMO leads' notes on KPIs this month, for subscribers who see the figure they were written
        on: the whole portfolio. A note may name any unit's project, so a scoped digest gets none."""
        if self.store is None or filters.is_filtered:
            return {}
        out: dict[str, str] = {}
        for note in self.store.notes("kpi", month=self.month):
            out[note.target_id] = note.text     # oldest first: the latest note wins
        return out

    def pack(self, filters: Filters, fmt: str) -> tuple[str, Attachment]:
        key = (filters, fmt)
        if key not in self._packs:
            review = build_review(self.con, filters, None)
            if self.store is not None:   # the notes on the figures go with the pack, as in the meeting
                names = project_names(self.con, review.filters)
                review = annotate(review, review_notes(self.store, review.as_of, review.previous), names,
                                  portfolio_notes=not filters.is_filtered)
                review = with_scenarios(review, records(self.store, None if not filters.is_filtered else names),
                                        self.settings.currency_symbol)
            data = render_pptx(review) if fmt == "pptx" else render_html(
                review, self.settings.currency_symbol).encode("utf-8")
            self._packs[key] = (review.title, Attachment(file_name(review, f".{fmt}"),
                                                         PPTX_MIME if fmt == "pptx" else HTML_MIME, data))
        return self._packs[key]

    def compose(self, sub: Subscription) -> Bundle:
        """The bundle for one subscriber; ContentError when it cannot be built."""
        scope, filters = self.filters_for(sub)
        base = self.settings.dashboard_url

        def link(page: str = "overview", **params):
            return dashboard_link(base, filters, page, **params)

        currency = self.settings.currency_symbol
        bundle = Bundle(sub, self.month, self.previous, scope.describe(), self.loaded_at,
                        dashboard=link(), review_link=link("monthly_review"),
                        quality_link=link("data_quality"))
        frame = self.frame(filters)
        if frame.empty or frame.attrs.get("as_of") is None:
            raise ContentError(f"the warehouse holds no figures for {self.month}")
        if "alerts" in sub.send:
            bundle.alerts = evaluate_alerts(frame, sub.alerts, currency, lambda group: link(kpi_page(group)))
        if "digest" in sub.send:
            bundle.digest = build_digest(self.con, filters, sub.kpis, frame, link, currency, self._notes(filters))
        if "chase_list" in sub.send:
            bundle.chase = build_chase_list(self.con, filters, sub.project_manager,
                                            lambda pid: link("project", project=pid))
        if "pack" in sub.send:
            for fmt in sub.pack_formats if sub.channel == "email" else ():
                title, attachment = self.pack(filters, fmt)
                bundle.pack_title = title
                bundle.attachments.append(attachment)
            if sub.channel != "email":
                # A channel cannot carry files: it gets the review page instead.
                bundle.pack_title = f"Monthly performance review — {month_label(self.month)}"
        return bundle
