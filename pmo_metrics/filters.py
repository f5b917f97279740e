"""The global filters every KPI is computed under, and the month arithmetic they need.

A month is a string 'YYYY-MM' everywhere in the product, as in the extracts (CONTRACT §1).
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, fields, replace

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(month: str) -> tuple[int, int]:
    """('2024-03') -> (2024, 3); ValueError on anything that is not a real 'YYYY-MM' month."""
    m = _MONTH_RE.match(str(month).strip()) if month is not None else None
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1:
        raise ValueError(f"not a month (expected YYYY-MM): {month!r}")
    return int(m.group(1)), int(m.group(2))


def month_add(month: str, n: int) -> str:
    """The month n months after `month` (n may be negative)."""
    y, m = parse_month(month)
    k = y * 12 + (m - 1) + n
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def previous_month(month: str) -> str:
    return month_add(month, -1)


def month_start(month: str) -> dt.date:
    y, m = parse_month(month)
    return dt.date(y, m, 1)


def month_end(month: str) -> dt.date:
    """end(M) of CONTRACT §3: the last day of the month."""
    y, m = parse_month(month)
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_between(start: str, end: str) -> list[str]:
    """Every month from start to end, both included; empty when start is after end."""
    ys, ms = parse_month(start)
    ye, me = parse_month(end)
    n = (ye * 12 + me) - (ys * 12 + ms)
    return [month_add(start, i) for i in range(n + 1)]


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class Filters:
    """What the user selected. Empty tuples mean "no filter"; as_of None means the default month.

    portfolios, programs, business_units and objectives (strategic_objective_id values) select
    projects; business_units also scopes maturity; departments scopes the resource KPIs only.
    """

    as_of: str | None = None
    portfolios: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    business_units: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Lists from a CLI or a widget are accepted and frozen, so a Filters is hashable
        # (the app caches on it) and compares equal however it was built.
        for f in fields(self):
            if f.name != "as_of":
                object.__setattr__(self, f.name, tuple(sorted(set(_as_tuple(getattr(self, f.name))))))
        if self.as_of is not None:
            y, m = parse_month(self.as_of)
            object.__setattr__(self, "as_of", f"{y:04d}-{m:02d}")

    def with_as_of(self, month: str | None) -> "Filters":
        return replace(self, as_of=month)

    def previous(self) -> "Filters":
        """The same selection one month earlier (as_of must be set)."""
        if self.as_of is None:
            raise ValueError("as_of is not set; resolve it first (kpis.default_as_of)")
        return replace(self, as_of=previous_month(self.as_of))

    @property
    def is_filtered(self) -> bool:
        return any((self.portfolios, self.programs, self.business_units, self.objectives, self.departments))

    def project_params(self) -> dict[str, list[str]]:
        """Bound parameters selecting projects ($portfolios, $programs, $business_units, $objectives)."""
        return {
            "portfolios": list(self.portfolios),
            "programs": list(self.programs),
            "business_units": list(self.business_units),
            "objectives": list(self.objectives),
        }

    def describe(self) -> str:
        """One line for a page subtitle or a report footer."""
        parts = []
        for label, values in (("portfolio", self.portfolios), ("program", self.programs),
                              ("business unit", self.business_units), ("objective", self.objectives),
                              ("department", self.departments)):
            if values:
                parts.append(f"{label}: {', '.join(values)}")
        where = "; ".join(parts) or "all projects"
        return f"{where} — as of {self.as_of}" if self.as_of else where


ALL = Filters()
