"""PMO maturity (CONTRACT §4): scores per business unit and domain, the business unit × domain grid,
the history across assessments, the change since the previous one and the largest gaps to target.
Scoped by the business-unit filter only.

The headline maturity_score and maturity_level come from the KPI engine (sql/kpis/maturity_kpis.sql);
the tables here read the same per-month domain rows (sql/kpis/maturity_domains.sql), so they agree
with the headline figures. SQL in sql/views/maturity/.
"""
from __future__ import annotations

import pandas as pd

from .. import kpis
from ..contract import MATURITY_DOMAINS
from ..filters import Filters, month_end
from ..queries import run

_SCORE_COLUMNS = ["business_unit", "domain", "score", "target", "gap", "assessment_id", "assessment_date",
                  "criteria"]


def _history_params(con, filters: Filters) -> dict:
    as_of = kpis.resolve_as_of(con, filters)
    return {"business_units": list(filters.business_units), "as_of_end": month_end(as_of) if as_of else None}


def scores(con, filters: Filters) -> pd.DataFrame:
    """Per business unit × assessed domain at M: score (mean of the criteria), target (mean of the
    criterion targets given), gap = target − score, and which assessment it comes from (the business
    unit's latest with assessment_date ≤ end(M))."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=_SCORE_COLUMNS)
    rows = run(con, "kpis/maturity_domains", kpis.params(filters, [as_of])).rename(columns={"target_score": "target"})
    return rows[_SCORE_COLUMNS].sort_values(["business_unit", "domain"]).reset_index(drop=True)


def history(con, filters: Filters) -> pd.DataFrame:
    """Every assessment of the selected business units dated ≤ end(M) (all of them when no month is
    known): business_unit, assessment_id, assessment_date, domain, score, target_score, gap,
    criteria, and business_unit_score (mean of its domain scores in that assessment)."""
    return run(con, "kpis/maturity_history", _history_params(con, filters))


def heatmap(con, filters: Filters) -> pd.DataFrame:
    """Business unit × domain scores at M as a wide table (rows: business units; columns: the nine
    domains in framework order; empty where a domain was not assessed)."""
    frame = scores(con, filters)
    if frame.empty:
        return pd.DataFrame(columns=list(MATURITY_DOMAINS))
    wide = frame.pivot(index="business_unit", columns="domain", values="score")
    return wide.reindex(columns=[d for d in MATURITY_DOMAINS if d in wide.columns])


def changes(con, filters: Filters) -> pd.DataFrame:
    """Per business unit × domain: the score in its latest assessment ≤ end(M), in the one before,
    and the change (empty when the unit was assessed once)."""
    return run(con, "views/maturity/changes", _history_params(con, filters))


def domain_changes(con, filters: Filters) -> pd.DataFrame:
    """Mean change per domain across the business units assessed twice (for a bar chart)."""
    return run(con, "views/maturity/domain_changes", _history_params(con, filters))


def gaps(con, filters: Filters, n: int = 15) -> pd.DataFrame:
    """The largest gaps (target − score) at M, business unit × domain, largest first."""
    frame = scores(con, filters)
    cols = ["business_unit", "domain", "score", "target", "gap", "assessment_id", "assessment_date"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    largest = frame.dropna(subset=["gap"]).sort_values(["gap", "business_unit"], ascending=[False, True])
    return largest[cols].head(n).reset_index(drop=True)
