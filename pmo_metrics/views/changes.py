"""What moved between M − 1 and M, for the overview and the monthly review. SQL in
sql/views/changes/."""
from __future__ import annotations

import pandas as pd

from .. import kpis
from ..filters import Filters, previous_month
from ..queries import run

CHANGES = ("rag_moves", "missed_milestones", "benefits_fell_behind", "new_high_risks")


def changes_since_last_month(con, filters: Filters) -> dict[str, pd.DataFrame]:
    """What moved between M − 1 and M, one table each (see CHANGES).

    rag_moves: active projects at M whose latest overall RAG differs from the one at M − 1 (both
    present); missed_milestones: milestones with baseline_date in M not achieved by that date;
    benefits_fell_behind: benefits whose progress was ≥ contract.BENEFIT_ON_TRACK at M − 1 and is
    below it at M; new_high_risks: risks raised in M with probability × impact ≥
    contract.HIGH_RISK_SCORE.
    """
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return {k: pd.DataFrame() for k in CHANGES}
    prev = previous_month(as_of)
    both = kpis.params(filters, [prev, as_of], as_of=as_of, previous=prev)
    this_month = kpis.params(filters, [as_of])
    return {
        "rag_moves": run(con, "views/changes/rag_moves", both),
        "missed_milestones": run(con, "views/changes/missed_milestones", this_month),
        "benefits_fell_behind": run(con, "views/changes/benefits_fell_behind", both),
        "new_high_risks": run(con, "views/changes/new_high_risks", this_month),
    }

