"""Early warning: active projects whose own record shows trouble building before it turns red, each
signal with an id, a reason in plain words and the numbers behind it (in the style of the data-quality
findings), and each signal's measured value on the history the warehouse holds — of the projects it
flagged in a past month, how many turned red or missed a milestone in the months after, against the
projects it did not flag (precision and lift). Thresholds are settings (`settings.SETTINGS`, warning_*).
SQL in sql/views/forecasts/signal_*.sql, built on kpis/project_forecasts.sql.

A signal that reads forecasts (the finish, a gate's date) is judged on what was known at the time:
where the warehouse keeps monthly snapshots of projects and milestones, a month reads the snapshot
standing for it, and a month before the first snapshot is not judged for those signals (today's
forecasts would tell it the future). A warehouse without snapshots can only offer today's forecasts
for every month; the value table says so beside the figures they flatter."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import kpis
from ..filters import Filters, month_add, months_between
from ..queries import run
from ..settings import Settings
from . import has_table


@dataclass(frozen=True)
class Signal:
    id: str
    label: str
    rule: str        # what fires it, in words, with {placeholders} from WarningThresholds


SIGNALS: tuple[Signal, ...] = (
    Signal("SPI_T_FALLING", "SPI(t) falling",
           "SPI(t) fell {falling_months} or more months in a row"),
    Signal("FINISH_SLIPPING", "Finish forecast slipping",
           "the forecast finish moved later in {slip_moves} or more of the last {slip_window} monthly "
           "projects snapshots"),
    Signal("OPTIMISTIC_FORECAST", "Forecast earlier than the record",
           "the project's own finish is more than {optimism_days} days earlier than the reference-class P50"),
    Signal("GATE_MOVED", "Gate due with a moved forecast",
           "a gate milestone due within {gate_days} days has a forecast date other than its baseline"),
    Signal("WATERMELON", "Green outside, not inside",
           "green for {green_months} or more months while the report is stale or SPI or CPI is below "
           "{index_floor:.2f}"),
)
SIGNAL_IDS = tuple(s.id for s in SIGNALS)
_FLAG = {"SPI_T_FALLING": "spi_t_falling", "FINISH_SLIPPING": "finish_slipping",
         "OPTIMISTIC_FORECAST": "optimistic_forecast", "GATE_MOVED": "gate_moved", "WATERMELON": "watermelon"}
# The signals that read forecasts, the column saying whether a month knew them, and the snapshots
# that tell it (meta.<table>).
_KNOWN = {"OPTIMISTIC_FORECAST": ("finish_known", "project_snapshots", "projects"),
          "GATE_MOVED": ("gates_known", "milestone_snapshots", "milestones")}
# The project-months a signal is judged on: those on which it could have fired with what was known.
# The finish-slip signal needs its project's history to hold enough moves (slip_known).
_JUDGED_ON = {"FINISH_SLIPPING": "slip_known", **{sid: known for sid, (known, _, _) in _KNOWN.items()}}

WARNING_COLUMNS = ["signal_id", "signal", "project_id", "project_name", "reason", "value"]
VALUE_COLUMNS = ["signal_id", "signal", "rule", "months", "flagged", "flagged_in_trouble", "precision",
                 "unflagged", "unflagged_in_trouble", "base_rate", "lift", "note"]


@dataclass(frozen=True)
class WarningThresholds:
    """The signals' thresholds (defaults: the settings' defaults)."""

    falling_months: int = 3
    slip_moves: int = 2
    slip_window: int = 3
    optimism_days: int = 0
    gate_days: int = 45
    green_months: int = 3
    index_floor: float = 0.90
    outcome_months: int = 3

    @classmethod
    def from_settings(cls, s: Settings) -> "WarningThresholds":
        return cls(s.warning_falling_months, s.warning_slip_moves, s.warning_slip_window, s.warning_optimism_days,
                   s.warning_gate_days, s.warning_green_months, s.warning_index_floor_pct / 100,
                   s.warning_outcome_months)

    def params(self) -> dict:
        return {"falling_months": self.falling_months, "slip_window": self.slip_window,
                "optimism_days": self.optimism_days, "gate_days": self.gate_days,
                "green_months": self.green_months, "index_floor": self.index_floor,
                "outcome_months": self.outcome_months}

    @property
    def lookback(self) -> int:
        """Months before the first month judged that the streaks need to be counted from."""
        return max(self.falling_months, self.green_months) + 1


def rule_text(signal: Signal, t: WarningThresholds) -> str:
    return signal.rule.format(**t.__dict__)


def has_snapshots(con, table: str = "project_snapshots") -> bool:
    """Whether the warehouse keeps the monthly snapshots meta.<table> (projects by default)."""
    return has_table(con, "meta", table)


def knows_past_forecasts(con) -> bool:
    """Whether the warehouse keeps both snapshots the forecast-reading signals need for past months."""
    return all(has_snapshots(con, table) for _, table, _ in _KNOWN.values())


def signal_history(con, filters: Filters, months: list[str], t: WarningThresholds = WarningThresholds()) -> pd.DataFrame:
    """One row per month of `months` × project active then: a boolean column per signal
    (spi_t_falling, finish_slipping, optimistic_forecast, gate_moved, watermelon), the numbers
    behind them, and whether the month knew the forecasts the optimism and gate signals read
    (finish_known, gates_known) and whether the project's snapshots held enough changes for the
    finish-slip signal to fire (slip_known). Streaks are counted from `t.lookback` months before the
    first month."""
    if not months:
        return pd.DataFrame()
    span = months_between(month_add(months[0], -t.lookback), months[-1])
    # a name from the two the package ships, never from input
    name = "views/forecasts/signal_months_known" if knows_past_forecasts(con) else "views/forecasts/signal_months"
    frame = run(con, name, kpis.params(filters, span, judged_months=list(months), **t.params()))
    if has_snapshots(con):
        slips = run(con, "views/forecasts/signal_slips", kpis.params(filters, months, **t.params()))
        frame = frame.merge(slips, on=["month", "project_id"], how="left")
    else:
        frame[["changes_seen", "moves_later", "days_later"]] = pd.NA
    frame["finish_slipping"] = pd.to_numeric(frame["moves_later"], errors="coerce").fillna(0) >= t.slip_moves
    frame["slip_known"] = pd.to_numeric(frame["changes_seen"], errors="coerce").fillna(0) >= t.slip_moves
    for flag in (*_FLAG.values(), *_JUDGED_ON.values()):
        frame[flag] = frame[flag].fillna(False).astype(bool)
    return frame


def _date(value) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _reason(signal_id: str, row, t: WarningThresholds) -> tuple[str, float | None]:
    """The sentence a reader sees, and the one number it turns on."""
    if signal_id == "SPI_T_FALLING":
        trail = " → ".join(f"{v:.2f}" for v in row["spi_t_trail"] if v is not None and not pd.isna(v))
        return (f"SPI(t) has fallen {int(row['falls_in_a_row'])} months in a row ({trail} over the last "
                f"{t.falling_months + 1} months).", float(row["project_spi_t"]))
    if signal_id == "FINISH_SLIPPING":
        return (f"The forecast finish moved later in {int(row['moves_later'])} of the last "
                f"{int(row['changes_seen'])} monthly snapshots, {int(row['days_later'])} days in all.",
                float(row["days_later"]))
    if signal_id == "OPTIMISTIC_FORECAST":
        return (f"Its own finish, {_date(row['current_finish_date'])}, is {int(row['optimism_days'])} days "
                f"earlier than the reference-class P50, {_date(row['rcf_finish_p50'])}.", float(row["optimism_days"]))
    if signal_id == "GATE_MOVED":
        return (f"Gate '{row['gate_name']}' is due {_date(row['gate_forecast_date'])}, within {t.gate_days} days; "
                f"its baseline was {_date(row['gate_baseline_date'])} ({int(row['gate_moved_days']):+d} days).",
                float(row["gate_moved_days"]))
    why = []
    if row["is_stale"]:
        age = row["days_since_report"]
        why.append("no status report" if pd.isna(age) else f"the latest report is {int(age)} days old")
    for name, col in (("SPI", "project_spi"), ("CPI", "project_cpi")):
        if not pd.isna(row[col]) and row[col] < t.index_floor:
            why.append(f"{name} is {row[col]:.2f}")
    return f"Green for {int(row['green_months'])} months while {' and '.join(why)}.", float(row["green_months"])


def warnings_from(history: pd.DataFrame, month: str, t: WarningThresholds) -> pd.DataFrame:
    """The signals that fire in `month`, one row per project and signal, in SIGNALS order."""
    rows = []
    now = history[history["month"] == month] if len(history) else history
    for signal in SIGNALS:
        for _, row in now[now[_FLAG[signal.id]]].iterrows() if len(now) else []:
            reason, value = _reason(signal.id, row, t)
            rows.append({"signal_id": signal.id, "signal": signal.label, "project_id": row["project_id"],
                         "project_name": row["project_name"], "reason": reason, "value": value})
    return pd.DataFrame(rows, columns=WARNING_COLUMNS)


def early_warnings(con, filters: Filters, t: WarningThresholds = WarningThresholds()) -> pd.DataFrame:
    """The early-warning list at M: one row per active project and signal that fires, with the
    signal's id and label, the reason in words and the number it turns on."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=WARNING_COLUMNS)
    return warnings_from(signal_history(con, filters, [as_of], t), as_of, t)


def precision_lift(history: pd.DataFrame, outcomes: pd.DataFrame, t: WarningThresholds = WarningThresholds(),
                   notes: dict[str, str] | None = None) -> pd.DataFrame:
    """Per signal, over the project-months of `history` (flags) with an outcome: how many were flagged
    and how many of those were in trouble after (precision), the same for the unflagged (base rate),
    and lift = precision / base rate. A signal counts only the project-months on which it could have
    fired with what was known then (slip_known, finish_known, gates_known, where `history` has them).
    Empty (None) where a denominator is 0:
    a signal that never fired has no precision, not a precision of 0."""
    notes = notes or {}
    judged = history.merge(outcomes, on=["month", "project_id"], how="inner") if len(history) else history
    rows = []
    for signal in SIGNALS:
        known = _JUDGED_ON.get(signal.id, "")
        rows_judged = judged[judged[known].astype(bool)] if known in judged else judged
        if len(rows_judged):
            flag = rows_judged[_FLAG[signal.id]].astype(bool)
            trouble = rows_judged["in_trouble"].astype(bool)
            flagged, hits = int(flag.sum()), int((flag & trouble).sum())
            unflagged, unflagged_hits = int((~flag).sum()), int((~flag & trouble).sum())
            months = int(rows_judged["month"].nunique())
        else:
            flagged = hits = unflagged = unflagged_hits = months = 0
        precision = hits / flagged if flagged else None
        base_rate = unflagged_hits / unflagged if unflagged else None
        lift = precision / base_rate if precision is not None and base_rate else None
        rows.append({"signal_id": signal.id, "signal": signal.label, "rule": rule_text(signal, t), "months": months,
                     "flagged": flagged, "flagged_in_trouble": hits, "precision": precision,
                     "unflagged": unflagged, "unflagged_in_trouble": unflagged_hits, "base_rate": base_rate,
                     "lift": lift, "note": notes.get(signal.id, "")})
    frame = pd.DataFrame(rows, columns=VALUE_COLUMNS)
    for col in ("precision", "base_rate", "lift"):
        frame[col] = frame[col].astype(float)
    return frame


def judged_months(as_of: str, t: WarningThresholds, months: int) -> list[str]:
    """The past months whose next t.outcome_months are all observed by `as_of`, the latest `months`."""
    last = month_add(as_of, -t.outcome_months)
    return months_between(month_add(last, -(months - 1)), last)


def signal_value(con, filters: Filters, t: WarningThresholds = WarningThresholds(), months: int = 24) -> pd.DataFrame:
    """Each signal's precision and lift over the `months` past months whose outcome is known by M
    (VALUE_COLUMNS). Trouble = turned red or missed a milestone in the t.outcome_months after."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return precision_lift(pd.DataFrame(), pd.DataFrame(), t)
    available = set(kpis.available_months(con))
    judged = [m for m in judged_months(as_of, t, months) if m in available]
    history = signal_history(con, filters, judged, t)
    outcomes = run(con, "views/forecasts/signal_outcomes", kpis.params(filters, judged, **t.params()))
    outcomes["in_trouble"] = outcomes["turned_red"].astype(bool) | outcomes["missed_milestone"].astype(bool)
    notes = {}
    if not has_snapshots(con):
        notes["FINISH_SLIPPING"] = "No projects snapshots in this database: the signal cannot fire."
    elif history.empty or history["changes_seen"].fillna(0).max() == 0:
        notes["FINISH_SLIPPING"] = ("Fewer than two monthly projects snapshots in the months judged: the signal "
                                    "has no history to fire on yet.")
    notes.update(_known_notes(con, history, judged))
    return precision_lift(history, outcomes[["month", "project_id", "in_trouble"]], t, notes)


def _known_notes(con, history: pd.DataFrame, judged: list[str]) -> dict[str, str]:
    """What the optimism and gate figures rest on: today's forecasts (no snapshots), or the months
    that knew theirs."""
    if not knows_past_forecasts(con):
        return {sid: f"No {what} snapshots in this database: judged on today's forecasts for every past month, "
                     "which flatters the signal." for sid, (_, _, what) in _KNOWN.items()}
    notes = {}
    for sid, (known, _, what) in _KNOWN.items():
        months = sorted(set(history.loc[history[known], "month"])) if len(history) else []
        if not months:
            notes[sid] = (f"No monthly {what} snapshot in the months judged: judged on none, since a month before "
                          "the first snapshot would read today's forecasts.")
        elif judged and months[0] > judged[0]:
            notes[sid] = (f"Judged from {months[0]}, the first month a {what} snapshot stands for: an earlier month "
                          "would read today's forecasts.")
    return notes
