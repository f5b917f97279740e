"""The demo's governance tables: gate reviews, change requests, PMO costs and project scores.

Generated from the demo's projects, milestones and financials (`demo.build_demo` calls `governance_tables`)
with their own random stream, so the other tables' values do not move when these change. The story they
tell: a gate is reviewed on the day it is passed; a troubled project's gate is often deferred first or
approved only with conditions; some gates are passed without any review on record (the compliance
finding the governance page lists); change requests come more often on troubled projects, and the
larger ones are escalated to the portfolio or the executive, though not always; the PMO books a cost
line per month for staff and tools, and for training once a quarter.
"""
from __future__ import annotations

import numpy as np
import polars as pl

from . import contract as c

# Share of passed gates with no review on record: the compliance finding the governance page lists.
_UNREVIEWED_GATES = 0.07
_CONDITIONS = ("Approved subject to a re-baselined plan by the next board.",
               "Approved on condition that the open design risks get named owners.",
               "Approved; the sponsor to confirm funding for the next stage within a month.")
_DEFERRALS = ("Deferred: the business case needs updated costs.",
              "Deferred: the readiness evidence was incomplete.",
              "Deferred until the supplier contract is signed.")
_CHANGE_TITLES = {
    "scope": ("Add reporting for the regional teams", "Include the mobile channel", "Drop the legacy data import"),
    "schedule": ("Move go-live after the peak season", "Extend user acceptance testing", "Re-plan the data migration"),
    "budget": ("Additional licences for the test environment", "Contractor rate increase", "Extra hardware capacity"),
    "risk": ("Add a fallback supplier", "Security review before go-live", "Parallel run of the old system"),
    "priority": ("Bring the compliance release forward", "Pause the low-value features", "Re-sequence the releases"),
}
# The organisation's delegation: the level that decides a change, by its cost as a share of the
# project's BAC — project below the first cut, program below the second, portfolio below the third.
_LEVEL_CUTS = (0.02, 0.05, 0.10)
_SCORE_CRITERIA = ("customer_impact", "urgency")   # not built in: selection uses them only when configured


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(days, dtype=np.int64).astype("M8[D]"))


def _days(series: pl.Series) -> np.ndarray:
    """A date series as day numbers, with the smallest int64 for null."""
    return series.cast(pl.Int32).fill_null(np.iinfo(np.int32).min).to_numpy().astype(np.int64)


def _ids(prefix: str, n: int) -> list[str]:
    width = max(5, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


def _weekday(days: np.ndarray) -> np.ndarray:
    return np.busday_offset(days.astype("M8[D]"), 0, roll="backward").astype(np.int64)


def gate_reviews(projects: pl.DataFrame, troubled: np.ndarray, milestones: pl.DataFrame,
                 rng: np.random.Generator, last_day: int) -> pl.DataFrame:
    """One review on the day each gate was passed; before it, on a troubled project, often a deferral.

    A gate still open past its baseline date may carry a deferral too; a few passed gates have none."""
    index = {pid: i for i, pid in enumerate(projects["project_id"])}
    gates = milestones.filter(pl.col("is_gate"))
    pid = np.array([index[p] for p in gates["project_id"]], dtype=np.int64)
    tr = troubled[pid]
    start = _days(projects["start_date"])[pid]
    baseline, actual = _days(gates["baseline_date"]), _days(gates["actual_date"])
    passed = actual > start - 1
    n = gates.height
    draw = rng.random((5, n))
    # The deferral: at the baseline date (or a few weeks before the pass when that was late), on or
    # after the project's start, before the pass, never after the last day of the data.
    deferral_day = _weekday(np.where(passed, np.minimum(baseline, actual - 14 - (draw[0] * 30).astype(np.int64)),
                                     baseline + 7))
    deferred = ((tr & (draw[1] < 0.45)) | (draw[1] < 0.06)) & (deferral_day >= start) & (deferral_day <= last_day)
    deferred &= ~passed | (deferral_day < actual)
    reviewed = passed & (draw[2] >= _UNREVIEWED_GATES)
    conditions = np.where(tr, draw[3] < 0.5, draw[3] < 0.15)
    sponsor = projects["sponsor"].gather(pid)

    first = pl.DataFrame({
        "project_id": gates["project_id"], "milestone_id": gates["milestone_id"], "review_date": _dates(deferral_day),
        "decision": pl.Series(["rejected" if d < 0.12 else "deferred" for d in draw[4]], dtype=pl.String),
        "chair": sponsor, "comment": pl.Series([_DEFERRALS[int(d * 3) % 3] for d in draw[0]], dtype=pl.String),
    }).filter(pl.Series(deferred))
    final = pl.DataFrame({
        "project_id": gates["project_id"], "milestone_id": gates["milestone_id"],
        "review_date": _dates(np.where(passed, actual, 0)),
        "decision": pl.Series(np.where(conditions, "approved_with_conditions", "approved")),
        "chair": sponsor,
        "comment": pl.Series([_CONDITIONS[int(d * 3) % 3] if cond else None for d, cond in zip(draw[4], conditions)],
                             dtype=pl.String),
    }).filter(pl.Series(reviewed))
    out = pl.concat([first, final]).sort("review_date", "milestone_id", maintain_order=True)
    return out.with_columns(pl.Series("gate_review_id", _ids("GR-", out.height)))


def change_requests(projects: pl.DataFrame, troubled: np.ndarray, work_end: np.ndarray,
                    rng: np.random.Generator, last_day: int) -> pl.DataFrame:
    """Change requests raised while each project runs: more on troubled ones, the larger escalated."""
    stage = projects["stage"].to_numpy()
    start = _days(projects["start_date"])
    span = np.minimum(work_end, last_day) - start
    live = (stage != "idea") & (span > 30)
    count = np.where(live, rng.poisson(np.where(troubled, 4.0, 1.3) * np.clip(span / 365, 0.3, 3.0)), 0)
    pid = np.repeat(np.arange(len(count)), count)
    n = len(pid)
    tr = troubled[pid]
    bac = projects["budget_at_completion"].to_numpy()[pid]
    raised = _weekday(start[pid] + 15 + (rng.random(n) * (span[pid] - 15)).astype(np.int64))
    cats = np.array(c.CHANGE_CATEGORIES)[rng.choice(len(c.CHANGE_CATEGORIES), n, p=[.35, .25, .2, .12, .08])]
    title = [_CHANGE_TITLES[k][j] for k, j in zip(cats, rng.integers(0, 3, n))]
    share = np.exp(rng.normal(np.log(np.where(tr, 0.04, 0.015)), 0.9, n))
    costed = ~np.isin(cats, ("priority",)) & (rng.random(n) < 0.9)
    cost = np.where(costed, np.round(share * bac, -2), np.nan)
    slip = np.isin(cats, ("scope", "schedule", "risk")) | (rng.random(n) < 0.2)
    days = np.where(slip, np.round(share * 600 * rng.uniform(0.5, 1.5, n)), np.nan)
    # The delegated level for the change's size, but one in eight decided a level too low or too high.
    level = np.digitize(share, _LEVEL_CUTS) + np.where(rng.random(n) < 0.12, rng.choice([-1, 1], n), 0)
    level = np.clip(level, 0, len(c.DECISION_LEVELS) - 1)
    # Escalated decisions take longer: the board meets monthly.
    cycle = np.round(rng.gamma(2.0, 6.0 + 7.0 * level + np.where(tr, 6.0, 0.0))).astype(np.int64)
    # and some wait on more information, or on a sponsor who does not decide.
    cycle += np.where(rng.random(n) < 0.15, np.round(rng.gamma(2.0, 30.0, n)).astype(np.int64), 0)
    decided = np.maximum(_weekday(raised + cycle), raised)
    open_ = decided > last_day
    outcome = rng.random(n)
    decision = np.where(outcome < 0.68, "approved", np.where(outcome < 0.88, "rejected", "withdrawn"))
    # A withdrawn request never reached its decision body.
    at = np.where(decision == "withdrawn", None, np.array(c.DECISION_LEVELS, dtype=object)[level])
    out = pl.DataFrame({
        "project_id": projects["project_id"].gather(pid), "category": pl.Series(cats.tolist(), dtype=pl.String),
        "title": pl.Series(title, dtype=pl.String), "raised_date": _dates(raised),
        "decided_date": _dates(np.where(open_, np.iinfo(np.int64).min, decided)),
        "decision": pl.Series(np.where(open_, None, decision).tolist(), dtype=pl.String),
        "decided_at": pl.Series(np.where(open_, None, at).tolist(), dtype=pl.String),
        "cost_impact": pl.Series(cost).fill_nan(None),
        "schedule_impact_days": pl.Series(days).fill_nan(None).cast(pl.Int64),
    }).sort("raised_date", "project_id", maintain_order=True)
    return out.with_columns(pl.Series("change_id", _ids("CR-", out.height)))


def pmo_costs(financials: pl.DataFrame, months: list[str], rng: np.random.Generator) -> pl.DataFrame:
    """A cost line per month: staff and tools every month, training once a quarter; sized at a few
    per cent of the portfolio's planned spend, as PMOs commonly are."""
    monthly = financials.group_by("period").agg(pl.col("planned_cost").sum())
    typical = float(monthly.filter(pl.col("period").is_in(months))["planned_cost"].median() or 0.0)
    staff = round(typical * 0.04, -2)
    rows = []
    for i, month in enumerate(months):
        tools = staff * (0.35 if month.endswith("-01") else 0.08)   # the yearly licence renewal in January
        lines = [("staff", staff * (1 + 0.03 * (i // 12))), ("tools", tools)]
        if month[5:] in ("03", "06", "09", "12"):
            lines.append(("training", staff * 0.12))
        for category, planned in lines:
            planned = round(planned, -2)
            rows.append((month, category, planned, round(planned * rng.uniform(0.9, 1.08), 2)))
    return pl.DataFrame(rows, schema={"period": pl.String, "cost_category": pl.String, "planned_cost": pl.Float64,
                                      "actual_cost": pl.Float64}, orient="row")


def project_scores(projects: pl.DataFrame, rng: np.random.Generator, scored_day: int) -> pl.DataFrame:
    """Scores for criteria of the organisation's own, given to about two thirds of the candidates."""
    candidates = projects.filter(pl.col("stage").is_in(c.CANDIDATE_STAGES))["project_id"]
    rows = []
    for pid in candidates:
        for criterion in _SCORE_CRITERIA:
            if rng.random() < 0.65:
                rows.append((pid, criterion, float(rng.integers(10, 96)),
                             _dates(np.array([scored_day - int(rng.integers(0, 60))]))[0]))
    return pl.DataFrame(rows, schema={"project_id": pl.String, "criterion": pl.String, "score": pl.Float64,
                                      "scored_date": pl.Date}, orient="row").with_columns(
        pl.lit(None, dtype=pl.String).alias("comment"))


def governance_tables(projects: pl.DataFrame, troubled: np.ndarray, work_end: np.ndarray,
                      milestones: pl.DataFrame, financials: pl.DataFrame, months: list[str], last_day: int,
                      seed: int) -> dict[str, pl.DataFrame]:
    """The four governance tables of the demo, from their own random stream of the seed."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, 15]).spawn(4)]
    return {
        "gate_reviews": gate_reviews(projects, troubled, milestones, streams[0], last_day),
        "change_requests": change_requests(projects, troubled, work_end, streams[1], last_day),
        "pmo_costs": pmo_costs(financials, months, streams[2]),
        "project_scores": project_scores(projects, streams[3], last_day),
    }
