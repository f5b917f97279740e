"""The "what changed" digest as data: per KPI its value, change, arrow and one line why, then the
moves behind them (RAG changes, missed milestones, new high risks, benefits that fell behind).

Every figure comes from the KPI engine (`kpis.compare_kpis`, `kpis.changes_since_last_month`) under
the subscriber's filters — already narrowed to their scope — so a digest says what the dashboard
says for the same selection. Texts are kept as the data gave them; each renderer escapes them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import pandas as pd

from .. import metrics as registry
from ..contract import BENEFIT_ON_TRACK, RAG
from ..filters import Filters, previous_month
from ..formatting import month_label, share
from ..views.changes import changes_since_last_month
from ..views.quality import stale_reports
from .links import kpi_page
from .text import arrow, change_text, clean, names, plural, value_text

ITEMS_SHOWN = 5          # moves listed per group; the rest are counted and linked
LinkFor = Callable[..., "str | None"]   # (page, **params) -> URL or None


@dataclass(frozen=True)
class KpiLine:
    metric_id: str
    label: str
    value: str
    change: str
    arrow: str
    direction: str | None        # better | worse | same | None (neutral or nothing to compare)
    status: str | None           # green | amber | red | None
    why: str
    link: str | None


@dataclass(frozen=True)
class Item:
    text: str
    link: str | None = None


@dataclass
class ChangeGroup:
    title: str
    items: list[Item]
    more: int = 0
    link: str | None = None


@dataclass
class Digest:
    lines: list[KpiLine]
    changes: list[ChangeGroup] = field(default_factory=list)

    @property
    def moved(self) -> int:
        return sum(len(g.items) + g.more for g in self.changes)


def _rag_fact(colour: str, moves: pd.DataFrame) -> str:
    if moves.empty:
        return ""
    came, left = moves[moves["to"] == colour], moves[moves["from"] == colour]
    parts = []
    if len(came):
        parts.append(f"turned {colour}: {names(came)}")
    if len(left):
        parts.append(f"no longer {colour}: {names(left)}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _facts(con, filters: Filters, changes: Mapping[str, pd.DataFrame], month: str) -> dict[str, str]:
    """The most telling fact behind each KPI that has one, as a short sentence."""
    out: dict[str, str] = {}
    moves = changes.get("rag_moves", pd.DataFrame())
    for colour in RAG:
        fact = _rag_fact(colour, moves)
        if fact:
            out[f"rag_{colour}_share"] = fact
    missed = changes.get("missed_milestones", pd.DataFrame())
    if len(missed):
        out["milestone_on_time_rate"] = (f"{plural(len(missed), 'milestone')} due in {month_label(month)} missed: "
                                         + names(missed, "milestone_name", "project_name", shown=1))
    behind = changes.get("benefits_fell_behind", pd.DataFrame())
    if len(behind):
        fact = f"{plural(len(behind), 'benefit')} fell below {share(BENEFIT_ON_TRACK, '.0f')} of plan: " + names(behind, "benefit_name",
                                                                                    "project_name", shown=1)
        for kpi in ("benefit_realization_rate", "benefits_at_risk"):
            out[kpi] = fact
    stale = stale_reports(con, filters)
    if len(stale):
        out["stale_status_share"] = f"{plural(len(stale), 'project')} without a recent status report: {names(stale)}"
    return out


def _comparison(row, previous: str) -> str:
    when = month_label(previous).split()[0]
    if row["previous"] is None:
        return f"No figure for {when}"
    if row["value"] is None:
        return f"No figure this month ({row['formatted_previous']} in {when})"
    if row["change"] == 0:
        return f"Unchanged since {when}"
    return f"{'Up' if row['change'] > 0 else 'Down'} from {row['formatted_previous']} in {when}"


def _why(row, previous: str, fact: str, note: str) -> str:
    """One line: a PMO lead's note on the figure, else the fact behind it, else the comparison with
    the month before — preceded by a change of RAG status when there was one."""
    if note:
        return f"Note: {clean(note.splitlines()[0] if note.strip() else note, 150)}"
    parts = []
    status, before = row["status"], row["previous_status"]
    if isinstance(status, str) and isinstance(before, str) and status != before:
        parts.append(f"Now {status}, was {before}")
    fact = fact or _comparison(row, previous)
    parts.append(fact[:1].lower() + fact[1:] if parts else fact)
    return clean("; ".join(parts), 200)


def build_digest(con, filters: Filters, kpi_ids: tuple[str, ...], frame: pd.DataFrame, link: LinkFor,
                 currency: str = "", notes: Mapping[str, str] | None = None) -> Digest:
    """The digest at `filters.as_of` (set) from `frame` = compare_kpis(con, filters)."""
    month = filters.as_of
    previous = frame.attrs.get("previous") or previous_month(month)
    changes = changes_since_last_month(con, filters)
    facts = _facts(con, filters, changes, month)
    rows = frame.set_index("id")
    lines = []
    for kpi in kpi_ids:
        row = rows.loc[kpi]
        metric = registry.get(kpi)
        lines.append(KpiLine(
            metric_id=kpi, label=metric.label, value=value_text(kpi, row["value"], currency),
            change=change_text(kpi, row["change"], currency), arrow=arrow(row["change"]),
            direction=row["direction"] if isinstance(row["direction"], str) else None,
            status=row["status"] if isinstance(row["status"], str) else None,
            why=_why(row, previous, facts.get(kpi, ""), (notes or {}).get(kpi, "")),
            link=link(kpi_page(metric.group))))
    return Digest(lines, _change_groups(changes, month, link))


def _group(title: str, frame: pd.DataFrame, text: Callable[[dict], str], link: LinkFor, page: str = "portfolio") -> ChangeGroup | None:
    if frame is None or frame.empty:
        return None
    records = frame.to_dict("records")
    items = [Item(text(r), link("project", project=clean(r.get("project_id"), 200) or None))
             for r in records[:ITEMS_SHOWN]]
    return ChangeGroup(title, items, max(0, len(records) - ITEMS_SHOWN), link(page))


def _day(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return pd.Timestamp(value).strftime("%d %b").lstrip("0")


def _project(r: dict) -> str:
    name, pid = clean(r.get("project_name"), 60), clean(r.get("project_id"), 30)
    return f"{name} ({pid})" if name else pid


def _change_groups(changes: Mapping[str, pd.DataFrame], month: str, link: LinkFor) -> list[ChangeGroup]:
    groups = [
        _group("Projects that changed RAG status", changes.get("rag_moves"),
               lambda r: f"{_project(r)}: {clean(r['from'])} \u2192 {clean(r['to'])}", link),
        _group(f"Milestones due in {month_label(month)} and missed", changes.get("missed_milestones"),
               lambda r: f"{clean(r['milestone_name'], 80)} — {_project(r)}, due {_day(r['baseline_date'])}"
               + (f", now forecast {_day(r['forecast_date'])}" if not pd.isna(r.get("forecast_date")) else ""), link),
        _group("New high risks", changes.get("new_high_risks"),
               lambda r: f"{clean(r['title'], 80)} — {_project(r)}, score {int(r['score'])}", link),
        _group("Benefits that fell behind plan", changes.get("benefits_fell_behind"),
               lambda r: f"{clean(r['benefit_name'], 80)} — {_project(r)}: "
                         f"{r['progress'] * 100:.0f} % of plan, was {r['previous_progress'] * 100:.0f} %", link,
               page="benefits"),
    ]
    return [g for g in groups if g is not None]
