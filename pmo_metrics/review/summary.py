"""The review in a few sentences: what changed since the comparison month, and the decisions
needed — the executive summary (the review's first screen and the pack's first slide after the
title) and the overview's headline. Built from figures the KPI engine and the page tables already
computed, so a headline can never disagree with the table under it.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import coverage
from .. import formatting as fmt
from ..contract import RAG_RANK


@dataclass(frozen=True)
class Changes:
    """How many things moved between two months; None where the data holds nothing to count
    (no milestones loaded: nothing can be said about missed milestones, not even 'none')."""

    worsened: int
    improved: int
    turned_red: int
    missed_milestones: int | None = None
    new_high_risks: int | None = None
    benefits_behind: int | None = None


def changes_since(moved: dict[str, pd.DataFrame], held: dict[str, int]) -> Changes:
    """Changes from views.changes.changes_since_last_month's tables, counting only what is loaded."""
    moves = moved.get("rag_moves", pd.DataFrame())
    if len(moves):
        before, after = moves["from"].map(RAG_RANK), moves["to"].map(RAG_RANK)
        worsened, improved = int((after < before).sum()), int((after > before).sum())
        turned_red = int((moves["to"] == "red").sum())
    else:
        worsened = improved = turned_red = 0

    def count(table: str, *inputs: str) -> int | None:
        return None if coverage.lacking(held, *inputs) else len(moved.get(table, pd.DataFrame()))

    return Changes(worsened, improved, turned_red, count("missed_milestones", "milestones"),
                   count("new_high_risks", "risks"), count("benefits_fell_behind", "benefits", "benefit_measurements"))


def what_changed(changes: Changes, since: str) -> str:
    """One sentence: 'Since May 2025: 3 projects worsened and 1 improved; 2 projects turned red; 2
    milestones were missed; 1 new high risk; no benefit fell behind plan.' (`since`: the month in
    words). A project that turned red may have been without a report or inactive before."""
    if changes.worsened or changes.improved:
        parts = [f"{fmt.plural(changes.worsened, 'project')} worsened and {changes.improved} improved"]
    else:
        parts = ["no project changed its RAG"]
    if changes.turned_red:
        parts.append(f"{fmt.plural(changes.turned_red, 'project')} turned red")
    if changes.missed_milestones is not None:
        n = changes.missed_milestones
        parts.append(f"{fmt.plural(n, 'milestone')} {'was' if n == 1 else 'were'} missed" if n
                     else "no milestone was missed")
    if changes.new_high_risks is not None:
        n = changes.new_high_risks
        parts.append(f"{fmt.plural(n, 'new high risk')}" if n else "no new high risk")
    if changes.benefits_behind is not None:
        n = changes.benefits_behind
        parts.append(f"{fmt.plural(n, 'benefit')} fell behind plan" if n else "no benefit fell behind plan")
    return f"Since {since}: " + "; ".join(parts) + "."
