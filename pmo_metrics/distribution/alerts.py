"""Threshold alerts: which of a subscriber's alert rules hold this month.

A status rule (`status = "amber"`) holds when the KPI's RAG status under the registry's thresholds
is that status or worse; a line rule (`above` / `below`) when the value is beyond the line. A rule
holds every month its condition does (each month and load is sent once); `new_only` keeps it quiet
unless the condition did not hold the month before. An empty figure never fires.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import metrics as registry
from ..formatting import month_label
from .subscriptions import Alert
from .text import missing, value_text

SEVERITY = {"green": 0, "amber": 1, "red": 2}


@dataclass(frozen=True)
class FiredAlert:
    alert: Alert
    label: str
    value: str
    status: str | None
    is_new: bool           # the condition did not hold the month before
    text: str              # one sentence: what, how much, since when
    link: str | None = None


def holds(alert: Alert, value, status: str | None) -> bool:
    """Whether `alert`'s condition holds for a KPI at `value` with RAG `status`."""
    if missing(value):
        return False
    if alert.status is not None:
        return status is not None and SEVERITY[status] >= SEVERITY[alert.status]
    if alert.above is not None:
        return float(value) > alert.above
    return float(value) < alert.below


def _status(value) -> str | None:
    return value if isinstance(value, str) else None


def _sentence(alert: Alert, row, is_new: bool, previous: str, currency: str) -> str:
    label, value = registry.get(alert.kpi).label, value_text(alert.kpi, row["value"], currency)
    before = value_text(alert.kpi, row["previous"], currency)
    when = month_label(previous).split()[0]
    if alert.status is not None:
        status, before_status = _status(row["status"]), _status(row["previous_status"])
        head = f"{label} is still {status}" if status == before_status else f"{label} turned {status}"
    else:
        line = value_text(alert.kpi, alert.above if alert.above is not None else alert.below, currency)
        side = "above" if alert.above is not None else "below"
        verb = ("rose" if side == "above" else "fell") if is_new else "is still"
        head = f"{label} {verb} {side} {line}"
    return f"{head}: {value} (was {before} in {when})."


def evaluate_alerts(frame: pd.DataFrame, alerts: tuple[Alert, ...], currency: str = "",
                    link=None) -> list[FiredAlert]:
    """The alerts that fire, in the order given, from `frame` = compare_kpis(con, filters)."""
    rows = frame.set_index("id")
    previous = frame.attrs.get("previous")
    fired = []
    for alert in alerts:
        row = rows.loc[alert.kpi]
        status = _status(row["status"])
        if not holds(alert, row["value"], status):
            continue
        is_new = not holds(alert, row["previous"], _status(row["previous_status"]))
        if alert.new_only and not is_new:
            continue
        metric = registry.get(alert.kpi)
        fired.append(FiredAlert(alert, metric.label, value_text(alert.kpi, row["value"], currency), status, is_new,
                                _sentence(alert, row, is_new, previous, currency),
                                link(metric.group) if link else None))
    return fired
