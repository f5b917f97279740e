"""The demo's history: the PMIS month-end extracts of the months before the demo batch's last one.

The demo batch (`demo.generate_demo`) is the extract taken after its end month. Loaded alone, it
leaves one monthly snapshot of projects and milestones, so whatever compares months — the
finish-slip signal, the milestone trend analysis, age in stage — has nothing to compare. This module
writes what the same PMIS said at the end of each of the months before: the projects, strategic
objectives, status reports and milestones as they were known then. Loaded oldest first and the demo
batch last (`load_demo`), they leave one snapshot per month, each what its extract said.

What an earlier extract says follows from the demo's own world, and it never states a fact that had not
happened by its month's end:

* status reports are those dated by the month's end, exactly as the later extracts carry them;
* a project is on the books a quarter before its start (as ideas are in the demo batch); its stage is
  the one its age gave it then (closed once its actual finish has passed, cancelled or on hold once
  that happened, never later than the stage it has in the end); an actual finish or a milestone's
  actual date is known only once it has passed;
* forecasts are where the telling lies. A troubled project's managers recognise its slip late and in
  steps: in the first month of the history its forecasts show only part of it (a random share), and
  they move the finish and the open milestones later in some months, not every month, until in the
  end month the forecasts are the demo batch's. They see trouble coming, though not always: a step
  is likelier in a month after which the batch records trouble within a quarter (a red report after
  one that was not, a milestone missed). Every project's forecasts also move now and then for
  ordinary reasons, later (a little more often with trouble ahead) or earlier, so healthy projects
  slip in some months too: a slip signal fires on them as well, and its precision stays well below 1.
* a forecast for work not done yet never lies before the extract's date: a date that has passed
  without the work is pushed to after it (to the next weekday).

The demo batch itself is not changed by any of this: its month is the history's last, written by
`demo.generate_demo` as before.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from . import contract as c
from .settings import SETTINGS
from .demo import (
    _CLOSING_SHARE, _INITIATION_DAYS, _NAT, _PIPELINE_DAYS, _PLANNING_DAYS, _PLANNING_SHARE, _S, _dates, _held,
    _milestone_plan, _objectives, _plan, _roll, _status_reports, generate_demo,
)

__all__ = ["DEMO_HISTORY_MONTHS", "HISTORY_TABLES", "generate_demo_history", "history_dir", "load_demo",
           "month_end_extracts"]

# Months of month-end extracts the app's demo holds, its last one the demo batch (the setting
# demo_history_months): nine let the finish-slip signal (two moves in the last three snapshots) be
# judged on four months whose next three are known, while the first start stays a matter of seconds.
DEMO_HISTORY_MONTHS = next(s.default for s in SETTINGS if s.name == "demo_history_months")
HISTORY_TABLES = ("strategic_objectives", "projects", "status_reports", "milestones")

_RECOGNISED_AT_FIRST = (0.1, 0.5)   # share of a troubled project's slip its forecast shows in the first month
# Managers see trouble coming, though not always: the chance in a month that a troubled project's
# forecasts catch up on its slip, with no trouble ahead and with trouble ahead (a red report after a
# month that was not red, or a milestone missed, in the next _AHEAD_MONTHS — what the early-warning
# outcomes count).
_CATCH_UP_CHANCE = (0.35, 0.6)
_AHEAD_MONTHS = 3
# Ordinary re-forecasts, any project: the chance in a month of one later (no trouble ahead / trouble
# ahead) and of one earlier, and their size in days.
_LATER_CHANCE = (0.15, 0.3)
_EARLIER_CHANCE = 0.1
_REPLAN_DAYS = (3, 21)

_ORDER = ("idea", "initiation", "planning", "execution", "closing", "closed")
_RANK = {name: i for i, name in enumerate(_ORDER)}
_CAP = {"closed": "closing", "on_hold": "execution", "cancelled": "execution"}


def history_dir(demo_dir: str | Path) -> Path:
    """Where the history of the demo batch in `demo_dir` is written: `<demo_dir>-history/`, one folder a month."""
    demo_dir = Path(demo_dir)
    return demo_dir.with_name(demo_dir.name + "-history")


def _history_rng(seed: int) -> np.random.Generator:
    # A stream of its own, apart from the demo batch's (demo._streams): the batch stays byte for byte
    # what it was, and the history changes with the seed like everything else.
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, 0)))


def _trouble_ahead(p, cal, reports: pl.DataFrame, plan, months: int) -> np.ndarray:
    """(projects × months, oldest first) whether trouble follows the month within _AHEAD_MONTHS, as the
    demo batch records it: a red report after a month whose latest report was not red, or a milestone
    whose baseline falls then and that is not achieved by it."""
    first = cal.last - (months - 1)
    pid = np.searchsorted(p.ids.to_numpy(), reports["project_id"].to_numpy())
    month = cal.month_of(reports["report_date"].cast(pl.Int64).to_numpy())
    red = np.full((p.n, cal.months), -1)            # -1: no report that month; 1: red; 0: another rating
    red[pid, month] = (reports["overall_rag"] == "red").to_numpy()
    latest = red.copy()                             # the latest report's rating by each month's end
    for m in range(1, cal.months):
        latest[:, m] = np.where(red[:, m] >= 0, red[:, m], latest[:, m - 1])
    base = plan.frame["baseline_date"].cast(pl.Int64).to_numpy()
    actual = plan.frame["actual_date"].cast(pl.Int64).fill_null(_NAT).to_numpy()
    missed_in = np.where((actual == _NAT) | (actual > base), cal.month_of(base), -1)
    ahead = np.zeros((p.n, months), dtype=bool)
    for j in range(months):
        t = first + j
        hi = min(t + _AHEAD_MONTHS, cal.last)       # after the end month nothing is recorded yet
        if t < 0 or hi <= t:
            continue
        ahead[:, j] = (red[:, t + 1:hi + 1] == 1).any(axis=1) & (latest[:, t] != 1)
        missed = (missed_in > t) & (missed_in <= hi)
        ahead[plan.pid[missed], j] = True
    return ahead


def _recognition(troubled: np.ndarray, ahead: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(projects × months, oldest first) the share of its slip each project's forecast shows; 1 in
    the last month, and throughout for a project that is not troubled. A troubled project's forecast
    catches up in steps, more often in a month with trouble ahead (`ahead`, from _trouble_ahead)."""
    n, months = ahead.shape
    first = rng.uniform(*_RECOGNISED_AT_FIRST, n)
    chance = np.where(ahead[:, 1:], _CATCH_UP_CHANCE[1], _CATCH_UP_CHANCE[0])   # the step shown in month j
    steps = (rng.random((n, months - 1)) < chance) * rng.uniform(0.5, 1.5, (n, months - 1))
    none = steps.sum(axis=1) == 0
    steps[none, rng.integers(0, months - 1, int(none.sum()))] = 1.0
    steps = (1 - first)[:, None] * steps / steps.sum(axis=1, keepdims=True)
    share = np.concatenate([first[:, None], first[:, None] + np.cumsum(steps, axis=1)], axis=1)
    share[:, -1] = 1.0
    return np.where(troubled[:, None], share, 1.0)


def _replans(ahead: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(projects × months) days each project's forecasts stood away from the end month's for ordinary
    reasons: re-forecasts later (more often with trouble ahead) or earlier in random months, 0 in the last."""
    n, months = ahead.shape
    draw = rng.random((n, months - 1))
    later = np.where(ahead[:, 1:], _LATER_CHANCE[1], _LATER_CHANCE[0])
    size = rng.integers(*_REPLAN_DAYS, (n, months - 1))
    moves = np.select([draw < later, draw > 1 - _EARLIER_CHANCE], [size, -size], 0)
    # the offset in month j is minus the moves made after it
    after = np.cumsum(moves[:, ::-1], axis=1)[:, ::-1]
    return np.concatenate([-after, np.zeros((n, 1), dtype=after.dtype)], axis=1).astype(np.int64)


def _stage_then(p, end_t: int) -> np.ndarray:
    """Each project's stage code at the end of an earlier month (see the module's docstring)."""
    elapsed = end_t - p.start
    x = elapsed / p.actual_days
    by_age = np.select([elapsed < _INITIATION_DAYS, (elapsed < _PLANNING_DAYS) & (x < _PLANNING_SHARE),
                        x >= _CLOSING_SHARE], [_RANK["initiation"], _RANK["planning"], _RANK["closing"]],
                       _RANK["execution"])
    final = p.stage
    # never later than the stage it has in the end: one closed, on hold or cancelled by then ran before
    cap = np.array([_RANK[_CAP.get(name, name)] for name in c.STAGES])[final]
    ranked = np.minimum(by_age, cap)
    code = np.array([_S[name] for name in _ORDER])[ranked]
    code = np.where(p.start > end_t, _S["idea"], code)
    code = np.where((final == _S["closed"]) & (p.actual_finish <= end_t), _S["closed"], code)
    code = np.where((final == _S["cancelled"]) & (p.work_end <= end_t), _S["cancelled"], code)
    code = np.where((final == _S["on_hold"]) & (p.freeze <= end_t), _S["on_hold"], code)
    return np.where(final == _S["idea"], _S["idea"], code)


def _forecast_then(baseline: np.ndarray, heading: np.ndarray, share: np.ndarray, offset: np.ndarray,
                   floor: np.ndarray) -> np.ndarray:
    """baseline + the recognised share of the slip to `heading`, moved by `offset` days, not before
    `floor`, on a weekday."""
    days = baseline + np.round((heading - baseline) * share).astype(np.int64) + offset
    return _roll(np.maximum(days, floor), "forward")


def month_end_extracts(scale="small", seed: int = 42, end_month: str | None = None,
                       months: int = DEMO_HISTORY_MONTHS) -> list[tuple[str, dict[str, pl.DataFrame]]]:
    """[(month, {table: frame})] for the `months` − 1 months before the demo's end month, oldest first:
    the PMIS extract (HISTORY_TABLES) as it stood at each month's end."""
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    if months == 1:
        return []  # the demo batch alone
    s, cal, rng, _, p = _plan(scale, seed, end_month)
    reports = _status_reports(p, rng["status_reports"], cal)
    plan = _milestone_plan(p, rng["milestones"], cal)
    objectives = _objectives(s, rng["objectives"])
    h = _history_rng(seed)
    ahead = _trouble_ahead(p, cal, reports, plan, months)
    share = _recognition(p.troubled, ahead, h)
    offset = _replans(ahead, h)

    ms = plan.frame
    pid = plan.pid
    m_base = ms["baseline_date"].cast(pl.Int64).to_numpy()
    m_actual = ms["actual_date"].cast(pl.Int64).fill_null(_NAT).to_numpy()
    report_day = reports["report_date"].cast(pl.Int64).to_numpy()
    report_pid = np.searchsorted(p.ids.to_numpy(), reports["project_id"].to_numpy())
    # the finish a project was heading for before a hold pushed it out or a cancellation ended it
    heading = np.where(p.has("closed"), p.actual_finish, np.where(p.has("on_hold", "cancelled", "idea"),
                                                                   p.finish_path, p.forecast_finish))

    out = []
    for j in range(months - 1):
        t = cal.last - (months - 1) + j
        if t < 0:
            continue  # before the demo's window: no extract
        end_t = int(cal.month_end(t))
        known = p.start <= end_t + _PIPELINE_DAYS
        stage = _stage_then(p, end_t)
        closed = stage == _S["closed"]
        running = ~np.isin(stage, [_S["idea"], _S["cancelled"], _S["closed"]])
        floor = np.maximum(p.start + 1, end_t + 1)
        finish = _forecast_then(p.baseline_finish, heading, share[:, j], offset[:, j], floor)
        finish = np.where(stage == _S["on_hold"], _roll(np.maximum(p.forecast_finish, end_t + 1), "forward"), finish)
        forecast = np.select([closed, running], [p.actual_finish, finish], _NAT)
        actual = np.where(closed, p.actual_finish, _NAT)
        projects = p.frame.with_columns(stage=pl.Series(np.array(c.STAGES)[stage]),
                                        forecast_finish_date=_dates(forecast),
                                        actual_finish_date=_dates(actual)).filter(pl.Series(known))

        achieved = (m_actual != _NAT) & (m_actual <= end_t)
        status = stage[pid]
        towards = np.where(status == _S["on_hold"], _held(plan.path, end_t), plan.path)
        open_forecast = _forecast_then(m_base, towards, share[pid, j], offset[pid, j], end_t + 1)
        m_forecast = np.select([achieved, status == _S["cancelled"]], [m_actual, _NAT], open_forecast)
        milestones = ms.with_columns(forecast_date=_dates(m_forecast),
                                     actual_date=_dates(np.where(achieved, m_actual, _NAT))).filter(
            pl.Series(known[pid]))

        label = str(cal.label(t))
        out.append((label, {
            "strategic_objectives": objectives,
            "projects": projects,
            "status_reports": reports.filter(pl.Series(report_day <= end_t) & pl.Series(known[report_pid])),
            "milestones": milestones,
        }))
    return [(label, {name: frames[name].select(c.TABLES[name].column_names) for name in HISTORY_TABLES})
            for label, frames in out]


def generate_demo_history(out_dir: str | Path, scale: str = "small", seed: int = 42, end_month: str | None = None,
                          months: int = DEMO_HISTORY_MONTHS) -> list[Path]:
    """Write the month-end extracts of the `months` − 1 months before the demo's end month into
    out_dir/<YYYY-MM>/ (one CSV per table of HISTORY_TABLES); return the folders, oldest first. The
    same arguments give byte-identical files."""
    out = Path(out_dir)
    folders = []
    for label, tables in month_end_extracts(scale, seed, end_month, months):
        folder = out / label
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            frame.write_csv(folder / f"{name}.csv")
        folders.append(folder)
    return folders


def _load_date(folder: Path) -> dt.date:
    """The day a month's extract is loaded: the first day after the month it stands for."""
    year, month = map(int, folder.name.split("-"))
    return dt.date(year + month // 12, month % 12 + 1, 1)


def load_demo(demo_dir: str | Path, db_path: str | Path, seed: int = 42, end_month: str | None = None,
              months: int = DEMO_HISTORY_MONTHS, progress: Callable[[str, float], None] | None = None):
    """Write the small demo batch into `demo_dir` and its history beside it (`history_dir`), then load
    the history's months oldest first and the batch last, so the warehouse holds `months` monthly
    snapshots. Returns the batch's LoadResult, or None when another load took the database over
    meanwhile (a second session building the same demo: its result is used)."""
    from .warehouse import load_batch, load_history  # the loader, only for the one call that loads

    say = progress or (lambda message, fraction: None)
    generate_demo(demo_dir, scale="small", seed=seed, end_month=end_month,
                  progress=lambda msg, f: say(f"Demo data: {msg}", 0.15 * f))
    say("Demo data: the month-end extracts before it", 0.15)
    folders = generate_demo_history(history_dir(demo_dir), "small", seed, end_month, months)
    batches = [(f, _load_date(f)) for f in folders] + [(Path(demo_dir), None)]
    ours: set[str] = set()
    result = None
    for i, (batch, load_date) in enumerate(batches):
        history = load_history(db_path)
        if history and history[0]["load_id"] not in ours:
            return None  # another session's load came first: the demo is being built there
        what = f"the {batch.name} extract" if load_date else "the demo batch"
        result = load_batch(batch, db_path, load_date=load_date, progress=lambda msg, f, w=what, i=i: say(
            f"Loading {w}: {msg}", 0.2 + 0.8 * (i + f) / len(batches)))
        ours.add(result.load_id)
        if not result.ok:
            return result
    return result
