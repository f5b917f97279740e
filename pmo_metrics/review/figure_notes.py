"""The notes people wrote on the figures, brought into the review: a note on a KPI or on the month
beside the headline figures, a note on a project beside that project's row, and a section "Notes and
decisions" that lists this month's notes and the decisions recorded at last month's review
("approve re-baseline of P123"), so next month's meeting starts from them.

`with_scenarios` adds the saved what-if scenarios (CONTRACT §7) as a "Funding scenarios" section, so
the pack that goes to the portfolio board carries them as a slide.

Notes live in the app-state store (`pmo_metrics.appstate`), never in the warehouse, so they survive
every load; the review itself is built from the warehouse and cached, and `annotate` adds the notes
to a copy of it each time it is shown or written. A note on a project outside the review's selection
(or a viewer's scope) is left out, like the project's figures. Notes are plain text: every renderer
escapes them.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from .. import formatting as fmt
from .. import metrics as registry
from ..views.projects import project_list
from .model import Review, Section, table

if TYPE_CHECKING:   # the store's modules (SQLAlchemy) load only where a store is opened
    from ..appstate import Note as NoteLike

NOTES_KEY = "notes"
TITLE = "Notes and decisions"


def review_notes(store, as_of: str, previous: str) -> list[NoteLike]:
    """The notes a review of `as_of` shows: every note about `as_of`, and the decisions recorded
    about `previous` (the month the review compares with)."""
    about = store.notes(month=as_of)
    decided = [n for n in store.notes(kind="decision", month=previous) if n.month != as_of]
    return [*about, *decided]


def project_names(con, filters) -> dict[str, str]:
    """Id → name of the projects a review's selection holds (its filters carry a viewer's scope)."""
    listed = project_list(con, filters.with_as_of(None))
    return dict(zip(listed["project_id"].astype(str), listed["project_name"].fillna("").astype(str)))


def with_notes(con, review: Review, store, currency: str = "") -> Review:
    """`review` with the notes and the saved scenarios of the store (None: as it is)."""
    if store is None:
        return review
    # Imported here, not at the top: the saved scenarios bring the selection's solver (scipy),
    # which a review without a store never needs.
    from ..saved_scenarios import records

    review = annotate(review, review_notes(store, review.as_of, review.previous), project_names(con, review.filters))
    return with_scenarios(review, records(store), currency)


def on_what(note: NoteLike, project_names: Mapping[str, str]) -> str:
    """What a note is on, in words: 'Cost performance index (CPI)', 'PRJ-0001 · Payroll', 'the month'."""
    if note.target_kind == "kpi":
        try:
            return registry.get(note.target_id).label
        except KeyError:
            return note.target_id
    if note.target_kind == "project":
        name = project_names.get(note.target_id)
        return f"{note.target_id} · {name}" if name else note.target_id
    return f"{fmt.month_label(note.target_id)} as a whole"


def line(note: NoteLike, project_names: Mapping[str, str]) -> str:
    """One note as a footnote: 'Cost performance index: invoices arrive late. (Ann, 2025-06-03)'."""
    word = "Decision" if note.kind == "decision" else "Note"
    return f"{word} on {on_what(note, project_names)}: {note.text} ({note.author}, {note.created_at:%Y-%m-%d})"


def annotate(review: Review, notes: Iterable[NoteLike], project_names: Mapping[str, str], *,
             portfolio_notes: bool = True) -> Review:
    """A copy of `review` with the notes where their figures are (each section's `annotations`:
    footnotes on a slide, captions on screen) and a "Notes and decisions" section after the
    executive summary when there are any. A project's notes show only when the review's selection
    holds the project (`project_names`: the selection's projects); notes on a KPI or on the month
    only with `portfolio_notes` (a scoped viewer gets none: such a note may speak of any unit)."""
    notes = [n for n in notes if (project_names.__contains__(n.target_id) if n.target_kind == "project"
                                  else portfolio_notes)]
    if not notes:
        return review
    this_month = [n for n in notes if n.month == review.as_of]
    decided = [n for n in notes if n.kind == "decision" and n.month == review.previous]

    sections = [dataclasses.replace(s, annotations=list(s.annotations)) for s in review.sections]
    by_key = {s.key: s for s in sections}
    for n in this_month:
        target = _section_for(n, by_key)
        if target is not None:
            target.annotations.append(line(n, project_names))

    section = _notes_section(review, this_month, decided, project_names)
    at = 1 if sections and sections[0].key == "summary" else 0
    sections.insert(at, section)
    return dataclasses.replace(review, sections=sections)


def _section_for(note: NoteLike, by_key: dict[str, Section]) -> Section | None:
    """The section that shows the figure a note is on: the headline for a KPI or the month, the
    first section listing the project for a project."""
    if note.target_kind in ("kpi", "month"):
        return by_key.get("headline")
    for key in ("decisions", "rag_movement", "milestones"):
        s = by_key.get(key)
        if s is not None and any(_names_project(t.frame, note.target_id) for t in s.tables):
            return s
    return None


def _names_project(frame, project_id: str) -> bool:
    return any(frame[c].astype(str).str.contains(project_id, regex=False).any()
               for c in frame.columns[:2]) if len(frame) else False


def _notes_section(review: Review, this_month, decided, names) -> Section:
    m, p = fmt.month_label(review.as_of), fmt.month_label(review.previous)
    parts = []
    if decided:
        parts.append(f"{fmt.plural(len(decided), 'decision')} recorded in the review of {p}")
    if this_month:
        parts.append(f"{fmt.plural(len(this_month), 'note')} on {m}")
    message = "; ".join(parts)
    message = message[:1].upper() + message[1:]

    def rows(items, decided_in: str | None = None):
        kind = {"decision": f"Decision, {decided_in}" if decided_in else "Decision", "note": "Note"}
        return [{"On": on_what(n, names), "Kind": kind.get(n.kind, n.kind), "Text": n.text, "By": n.author,
                 "Written": f"{n.created_at:%Y-%m-%d}"} for n in items]

    # One table, last month's decisions first: a slide shows it whole, the appendix every column.
    listed = table(TITLE, rows(decided, p) + rows(this_month), ["On", "Kind", "Text", "By", "Written"],
                   "No note or decision.", slide_columns=["On", "Kind", "Text", "By"])
    points = [f"Decided in {p} on {on_what(n, names)}: {n.text}" for n in decided]
    return Section(NOTES_KEY, TITLE, message, points, [listed])


# -- funding scenarios ------------------------------------------------------------------------------

SCENARIOS_KEY = "scenarios"
SCENARIOS_SHOWN = 8   # saved scenarios a pack compares at most (the most recently saved)


def with_scenarios(review: Review, records, currency: str = "") -> Review:
    """A copy of `review` with a "Funding scenarios" section before the data quality, comparing the
    saved what-if scenarios (`saved_scenarios.records`, already narrowed to what the viewer may
    see) for the portfolio board: budget, projects funded, their cost and score, whether the
    optimum was proven, and what ranking by score alone would have funded instead."""
    recs = sorted(records, key=lambda r: r.saved_at or 0, reverse=True)[:SCENARIOS_SHOWN]
    if not recs:
        return review

    def opt(r, key="optimal"):
        return r.result.get(key, {})

    rows = [{"Scenario": r.name, "Budget": fmt.money(r.definition.get("budget"), currency),
             "Funded": fmt.count(len(r.funded)), "Cost (Σ BAC)": fmt.money(opt(r).get("total_bac"), currency),
             "Score": fmt.ratio(opt(r).get("total_score"), ".1f"),
             "Ranking by score": fmt.ratio(opt(r, "by_score").get("total_score"), ".1f"),
             "Proven optimal": "yes" if opt(r).get("optimal") else "no (best found)",
             "Saved": f"{r.saved_at:%Y-%m-%d}" if r.saved_at else "", "By": r.author} for r in recs]
    listed = table("Saved funding scenarios", rows, list(rows[0]), "No scenario saved.",
                   slide_columns=["Scenario", "Budget", "Funded", "Cost (Σ BAC)", "Score", "Ranking by score"])
    latest = recs[0]
    gain = (opt(latest).get("total_score") or 0.0) - (opt(latest, "by_score").get("total_score") or 0.0)
    message = (f"“{latest.name}” funds {fmt.plural(len(latest.funded), 'project')} for "
               f"{fmt.money(opt(latest).get('total_bac'), currency)} of a "
               f"{fmt.money(latest.definition.get('budget'), currency)} budget")
    points = [f"Ranking by score alone would score {fmt.ratio(gain, '.1f')} points less with the same budget."
              if gain > 0 else "Ranking by score alone would fund a set scoring as much."]
    if len(recs) > 1:
        points.append(f"{fmt.plural(len(recs), 'scenario')} saved, the latest first; each was run on the data of "
                      "the day it was saved.")
    section = Section(SCENARIOS_KEY, "Funding scenarios", message, points, [listed])
    sections = list(review.sections)
    at = next((i for i, s in enumerate(sections) if s.key == "data_quality"), len(sections))
    sections.insert(at, section)
    return dataclasses.replace(review, sections=sections)
