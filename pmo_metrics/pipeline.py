"""The pipeline of a planning round, read from the warehouse (CONTRACT §7): the candidates, their
scores with the weighted part of every criterion, how long each has been in its stage, what each would
need of every department over the planning window, and how much each department has free.

Candidates are the projects in stage idea, initiation or planning that pass the filters. A score runs
from 0 to 100: Σ over the configured criteria of weight × criterion score / Σ weights, the criterion
score coming from `project_scores` where the candidate has a row for it, else from the built-in
criterion of that name (`BUILT_IN_CRITERIA`), else 0. The weights are the `selection_weights` setting
(`strategic_alignment=3 priority=2 benefit_ratio=3 risk=2` by default); a criterion that is not built
in may be configured only when `project_scores` names it.

`project_scores` is an optional table: a warehouse loaded before it existed has none, and scores are
then the built-in ones. Its rows are read by their own query when the table is there and handed to
the scoring query as bound lists, so one query computes every score either way.

Every function takes an open connection and the user's `Filters` (the as-of month does not apply:
selection works on the data as last loaded) and returns a DataFrame. SQL in sql/views/selection/.
"""
from __future__ import annotations

import re
from typing import Mapping

import pandas as pd

from . import formatting as fmt
from .filters import Filters, month_add, months_between, parse_month
from .kpis import default_as_of
from .queries import records, run

BUILT_IN_CRITERIA = ("strategic_alignment", "priority", "benefit_ratio", "risk")
WINDOW_MONTHS = 12          # the default planning window: the 12 months after the latest report month
MAX_WINDOW_MONTHS = 120     # a window is a planning horizon, not a history
SCORES_TABLE = ("main", "project_scores")
_PAIR = re.compile(r"^([A-Za-z0-9_.\-]+)=([^=]+)$")

SCORE_COLUMNS = ["project_id", "project_name", "portfolio", "program", "business_unit", "objective_id",
                 "objective_name", "stage", "priority_score", "bac", "expected_benefits", "benefit_ratio",
                 "open_risks", "risk_exposure", "score"]


class PipelineError(ValueError):
    """The weights or the planning window cannot be used; the message is one line naming what is wrong."""


# -- weights ---------------------------------------------------------------------------------------

def parse_weights(text: str | Mapping[str, float]) -> dict[str, float]:
    """`"strategic_alignment=3 priority=2"` (spaces or commas between pairs) as {criterion: weight}, in
    the order given. Weights are numbers ≥ 0 and at least one is above 0."""
    if isinstance(text, Mapping):
        pairs = [(str(k), v) for k, v in text.items()]
    else:
        pairs = []
        for item in re.split(r"[\s,;]+", str(text or "").strip()):
            if not item:
                continue
            m = _PAIR.match(item)
            if not m:
                raise PipelineError(f"selection weights: {item!r} is not criterion=weight")
            pairs.append((m.group(1), m.group(2)))
    weights: dict[str, float] = {}
    for name, raw in pairs:
        try:
            weight = float(raw)
        except (TypeError, ValueError):
            raise PipelineError(f"selection weights: the weight of {name} ({raw!r}) is not a number") from None
        if not weight >= 0 or weight == float("inf"):
            raise PipelineError(f"selection weights: the weight of {name} must be a number ≥ 0, not {raw}")
        if name in weights:
            raise PipelineError(f"selection weights: {name} is given twice")
        weights[name] = weight
    if not weights:
        raise PipelineError("selection weights: no criterion is configured")
    if sum(weights.values()) <= 0:
        raise PipelineError("selection weights: every weight is 0; at least one must be above 0")
    return weights


def _has_table(con, schema: str, table: str) -> bool:
    return bool(records(con, "views/selection/has_table", {"schema_name": schema, "table_name": table})[0]["present"])


def has_scores(con) -> bool:
    """Whether the warehouse has the optional `project_scores` table."""
    return _has_table(con, *SCORES_TABLE)


def given_scores(con) -> pd.DataFrame:
    """The rows of project_scores [project_id, criterion, score]; none when the table does not exist."""
    if not has_scores(con):
        return pd.DataFrame({"project_id": pd.Series(dtype=object), "criterion": pd.Series(dtype=object),
                             "score": pd.Series(dtype=float)})
    return run(con, "views/selection/given_scores")


def check_weights(con, text: str | Mapping[str, float]) -> dict[str, float]:
    """The weights, parsed and checked against the data: a criterion that is not built in must be one
    that project_scores names (PipelineError otherwise)."""
    weights = parse_weights(text)
    unknown = [c for c in weights if c not in BUILT_IN_CRITERIA]
    if unknown:
        named = set(given_scores(con)["criterion"])
        missing = [c for c in unknown if c not in named]
        if missing:
            where = "project_scores names no such criterion" if has_scores(con) else \
                "the warehouse has no project_scores table"
            raise PipelineError(f"selection weights: {missing[0]} is not a built-in criterion "
                                f"({', '.join(BUILT_IN_CRITERIA)}) and {where}")
    return weights


def _score_params(con, filters: Filters, weights: str | Mapping[str, float]) -> dict:
    checked = check_weights(con, weights)
    given = given_scores(con)
    return {**filters.project_params(), "criteria": list(checked), "weights": list(checked.values()),
            "given_project_ids": given["project_id"].astype(str).tolist(),
            "given_criteria": given["criterion"].astype(str).tolist(),
            "given_scores": given["score"].astype(float).tolist()}


# -- scores ----------------------------------------------------------------------------------------

def scores(con, filters: Filters, weights: str | Mapping[str, float]) -> pd.DataFrame:
    """One row per candidate, best score first: project, portfolio, program, business unit, objective,
    stage, priority_score, bac, expected_benefits (Σ target − baseline of its financial benefits),
    benefit_ratio (that / BAC), open_risks, risk_exposure (Σ probability × impact of the open ones),
    score."""
    return run(con, "views/selection/scores", _score_params(con, filters, weights))[SCORE_COLUMNS]


def criteria(con, filters: Filters, weights: str | Mapping[str, float]) -> pd.DataFrame:
    """Why each candidate scores what it does: one row per candidate × configured criterion with the
    built-in input (`built_in_value`: objective weight, priority score, benefit ratio, risk exposure)
    and score, the project_scores score, the `source` used (project_scores, built-in, none), the
    criterion's `score`, its `weight` and its weighted `part` (the parts add up to the score)."""
    frame = run(con, "views/selection/criteria", _score_params(con, filters, weights))
    frame["criterion_label"] = [fmt.label(c) for c in frame["criterion"]]
    return frame


def explain(con, filters: Filters, weights: str | Mapping[str, float], project_id: str) -> pd.DataFrame:
    """The criteria rows of one candidate (see `criteria`): why it scores what it does."""
    frame = criteria(con, filters, weights)
    return frame[frame["project_id"] == project_id].reset_index(drop=True)


# -- the planning window and capacity -----------------------------------------------------------------

def default_window(con) -> tuple[str, str] | None:
    """The 12 months after the latest status-report month (without reports: the latest month with any
    data); None when the warehouse holds nothing."""
    latest = default_as_of(con)
    if latest is None:
        return None
    return month_add(latest, 1), month_add(latest, WINDOW_MONTHS)


def window_months(window: tuple[str, str]) -> list[str]:
    """Every month of a planning window (first, last), both included; PipelineError for a window that
    is backwards, malformed or longer than ten years."""
    try:
        first, last = (f"{y:04d}-{m:02d}" for y, m in (parse_month(window[0]), parse_month(window[1])))
    except (ValueError, TypeError, IndexError):
        raise PipelineError(f"the planning window must be two months YYYY-MM, not {window!r}") from None
    months = months_between(first, last)
    if not months:
        raise PipelineError(f"the planning window ends ({last}) before it starts ({first})")
    if len(months) > MAX_WINDOW_MONTHS:
        raise PipelineError(f"the planning window {first} to {last} is longer than {MAX_WINDOW_MONTHS} months")
    return months


def _window_params(filters: Filters, window: tuple[str, str]) -> dict:
    return {**filters.project_params(), "months": window_months(window), "departments": [],
            "group_by": "department"}


def capacity(con, filters: Filters, window: tuple[str, str]) -> pd.DataFrame:
    """Per department over the window: resources, capacity_hours (CONTRACT §3), committed_hours
    (allocated to projects that are not candidates), free_hours (capacity − committed; negative where
    the department is over-committed already) and candidate_hours (what the candidates would need)."""
    return run(con, "views/selection/capacity", _window_params(filters, window))


def needs(con, filters: Filters, window: tuple[str, str]) -> pd.DataFrame:
    """[project_id, department, hours]: each candidate's planned hours in the window by department."""
    return run(con, "views/selection/needs", _window_params(filters, window))


def default_limits(capacity_frame: pd.DataFrame) -> dict[str, float]:
    """The capacity limits a scenario starts from: the free capacity of every department the
    candidates need hours from (a department they do not need cannot bind)."""
    needed = capacity_frame[capacity_frame["candidate_hours"] > 0]
    return {str(d): float(h) for d, h in zip(needed["department"], needed["free_hours"])}


# -- age in stage ------------------------------------------------------------------------------------

def stage_ages(con, filters: Filters) -> pd.DataFrame | None:
    """[project_id, stage_since, months_in_stage, since_start] from the monthly project snapshots, or
    None when there is no history to tell (fewer than two snapshot months, or none kept)."""
    if not _has_table(con, "meta", "project_snapshots"):
        return None
    frame = run(con, "views/selection/stage_ages", filters.project_params())
    if frame.empty or int(frame["snapshot_months"].max() or 0) < 2:
        return None
    return frame.drop(columns="snapshot_months")


# -- the pipeline page's table -----------------------------------------------------------------------

NO_HISTORY = "no history"


def pipeline_table(con, filters: Filters, weights: str | Mapping[str, float],
                   window: tuple[str, str] | None) -> pd.DataFrame:
    """The candidates as the pipeline page lists them: the score and its weighted part per criterion
    (columns `part_<criterion>`), age in stage (`months_in_stage`, and `age_in_stage` in words: "no
    history" without snapshots to tell), BAC, expected benefits, open risk exposure, and the hours they
    would need in the planning window (`hours_needed`, and `needs` by department in words)."""
    frame = scores(con, filters, weights)
    parts = criteria(con, filters, weights)
    if not parts.empty:
        wide = parts.pivot(index="project_id", columns="criterion", values="part")
        wide = wide[[c for c in parse_weights(weights) if c in wide.columns]].add_prefix("part_")
        frame = frame.merge(wide, left_on="project_id", right_index=True, how="left")
    ages = stage_ages(con, filters)
    if ages is None:
        frame["stage_since"], frame["months_in_stage"], frame["age_in_stage"] = None, float("nan"), NO_HISTORY
    else:
        frame = frame.merge(ages, on="project_id", how="left")
        frame["age_in_stage"] = [_age(m, since, start) for m, since, start in
                                 zip(frame["months_in_stage"], frame["stage_since"], frame["since_start"])]
        frame = frame.drop(columns="since_start")
    need = needs(con, filters, window) if window else pd.DataFrame(columns=["project_id", "department", "hours"])
    totals = need.groupby("project_id")["hours"].sum()
    frame["hours_needed"] = frame["project_id"].map(totals).fillna(0.0)
    words = {pid: " · ".join(f"{d} {fmt.hours(h)}" for d, h in zip(g["department"], g["hours"]))
             for pid, g in need.sort_values(["project_id", "hours"], ascending=[True, False]).groupby("project_id")}
    frame["needs"] = [words.get(pid, "") for pid in frame["project_id"]]
    return frame


def _age(months, since, since_start) -> str:
    if fmt.is_missing(months) or fmt.is_missing(since):
        return NO_HISTORY
    n = int(months)
    if since_start:
        return f"at least {fmt.plural(n, 'month')} (in it at the first snapshot, {since})"
    return f"{fmt.plural(n, 'month')} (since {since})"


def totals(table: pd.DataFrame) -> dict[str, float]:
    """The pipeline's totals: candidates, Σ BAC (the total ask), Σ expected benefits, Σ hours needed."""
    return {"candidates": len(table), "bac": float(table["bac"].fillna(0).sum()),
            "expected_benefits": float(table["expected_benefits"].fillna(0).sum()),
            "hours_needed": float(table["hours_needed"].fillna(0).sum())}
