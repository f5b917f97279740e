"""PMO maturity (CONTRACT §4): scores per business unit and domain, the selection's domain scores,
its staged level, and the history across assessments. Scoped by the business-unit filter only.

The headline maturity_score and maturity_level come from `kpis.compute_kpis` (sql/kpis/
maturity_kpis.sql); the tables here read the same per-month domain rows (sql/kpis/
maturity_domains.sql), so they agree with the headline figures.
"""
from __future__ import annotations

import pandas as pd

from .filters import Filters, month_end
from .marts import load_sql, sql_params
from .metrics import MATURITY_LEVEL_NAMES

_SCORE_COLUMNS = ["business_unit", "domain", "score", "target", "gap", "assessment_id", "assessment_date",
                  "criteria"]


def _as_of(con, filters: Filters) -> str | None:
    from .kpis import default_as_of  # kpis re-exports this module's functions

    return filters.as_of or default_as_of(con)


def _query(con, name: str, params: dict) -> pd.DataFrame:
    sql = load_sql(name)
    return con.execute(sql, {k: params.get(k) for k in sql_params(sql)}).df()


def _domain_rows(con, filters: Filters, as_of: str) -> pd.DataFrame:
    return _query(con, "kpis/maturity_domains", {
        "months": [as_of], "group_by": "all", "business_units": list(filters.business_units)})


def maturity_scores(con, filters: Filters) -> pd.DataFrame:
    """Per business unit × assessed domain at M: score (mean of the criteria), target (mean of the
    criterion targets given), gap = target − score, and which assessment it comes from (the business
    unit's latest with assessment_date ≤ end(M))."""
    as_of = _as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=_SCORE_COLUMNS)
    rows = _domain_rows(con, filters, as_of).rename(columns={"target_score": "target"})
    return rows[_SCORE_COLUMNS].sort_values(["business_unit", "domain"]).reset_index(drop=True)


def maturity_domain_scores(con, filters: Filters) -> pd.DataFrame:
    """The selection's score per assessed domain at M: the mean over its business units (§4), the
    mean of the targets given, gap = target − score, and how many business units assessed it."""
    scores = maturity_scores(con, filters)
    if scores.empty:
        return pd.DataFrame(columns=["domain", "score", "target", "gap", "business_units"])
    out = scores.groupby("domain", as_index=False).agg(
        score=("score", "mean"), target=("target", "mean"), business_units=("business_unit", "nunique"))
    out["gap"] = out["target"] - out["score"]
    return out[["domain", "score", "target", "gap", "business_units"]]


def maturity_summary(con, filters: Filters) -> dict:
    """{'as_of', 'score', 'level', 'level_name', 'business_units', 'weakest_domain'} at M, from the
    same engine as the KPI cards."""
    from .kpis import compute_kpis

    as_of = _as_of(con, filters)
    values = compute_kpis(con, filters.with_as_of(as_of)) if as_of else {}
    domains = maturity_domain_scores(con, filters) if as_of else pd.DataFrame()
    level = values.get("maturity_level")
    return {
        "as_of": as_of,
        "score": values.get("maturity_score"),
        "level": level,
        "level_name": MATURITY_LEVEL_NAMES.get(level) if level is not None else None,
        "business_units": int(maturity_scores(con, filters)["business_unit"].nunique()) if as_of else 0,
        "weakest_domain": None if domains.empty else domains.sort_values(["score", "domain"]).iloc[0]["domain"],
    }


def maturity_history(con, filters: Filters) -> pd.DataFrame:
    """Every assessment of the selected business units dated ≤ end(M) (all of them when no month is
    known): business_unit, assessment_id, assessment_date, domain, score, target_score, gap,
    criteria, and business_unit_score (mean of its domain scores in that assessment)."""
    as_of = _as_of(con, filters)
    return _query(con, "kpis/maturity_history", {
        "business_units": list(filters.business_units),
        "as_of_end": month_end(as_of) if as_of else None,
    })
