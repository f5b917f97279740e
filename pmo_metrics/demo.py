"""Seeded demo batch: realistic, internally consistent extracts for every contract table.

`generate_demo` writes one CSV per table of `contract.TABLES`. Everything derives from the seed
and the last month with data, so the same arguments give byte-identical files. The batch passes
every error rule of CONTRACT §2 and carries a few deliberate warnings, so the data-quality page
has something to show: two stale status reports, one drop in percent complete, one active project
without a manager, one total planned cost away from its budget, one negative actual cost (a credit
note), one resource logging more than 12 hours on a day and one booking outside employment.

Generation is vectorised with numpy (one loop over months at most), so the enterprise scale —
5,000 projects and about five million timesheet rows — takes seconds, not minutes.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from . import contract as c
from .demo_governance import governance_tables

__all__ = ["SCALES", "Scale", "build_demo", "generate_demo", "planned_sizes"]


@dataclass(frozen=True)
class Scale:
    """Size of a demo organisation."""
    projects: int
    months: int
    portfolios: int
    programs: int
    business_units: int
    objectives: int
    resources: int
    departments: int
    team_size: tuple[int, int]  # members per project, before scaling by budget
    share: tuple[float, float]  # share of a member's capacity planned on one project
    budget: float               # median budget at completion of a one-year project


SCALES: dict[str, Scale] = {
    "small": Scale(projects=60, months=24, portfolios=4, programs=8, business_units=5, objectives=6,
                   resources=150, departments=8, team_size=(14, 30), share=(0.25, 0.75), budget=900_000),
    "enterprise": Scale(projects=5000, months=36, portfolios=10, programs=60, business_units=20,
                        objectives=10, resources=2000, departments=25, team_size=(4, 13), share=(0.08, 0.35),
                        budget=300_000),
    # Five years of a ~10,000-person organisation: about 25 million timesheet rows, for measuring
    # that a load stays in bounded memory as a batch grows.
    "enterprise-xl": Scale(projects=24000, months=60, portfolios=10, programs=60, business_units=20,
                           objectives=10, resources=9500, departments=25, team_size=(4, 13), share=(0.08, 0.35),
                           budget=300_000),
}

_S = {name: i for i, name in enumerate(c.STAGES)}

_TROUBLED_SHARE = 0.22
_ABSENCE_RATE = 0.06      # leave and sickness: weekdays a resource books nothing
_DAY_LIMIT = 11.5         # keeps ordinary days clear of the TS-DAY-TOTAL warning (> 12 h)
_ALLOC_HORIZON = 3        # months of allocations planned beyond the last month with data
_PIPELINE_DAYS = 90       # ideas are on the books this many days before they start
# A running project's stage follows from its age: initiation for its first days, planning while young
# and little done, closing near its end (shares of its actual duration).
_INITIATION_DAYS, _PLANNING_DAYS, _PLANNING_SHARE, _CLOSING_SHARE = 25, 80, 0.2, 0.9
_NAT = np.iinfo(np.int64).min

# --- vocabularies -------------------------------------------------------------------------------

_FIRST = ("Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Karin",
          "Lukas", "Maria", "Nils", "Olga", "Pedro", "Quinn", "Rosa", "Sami", "Tara", "Umar", "Vera",
          "Wim", "Xenia", "Yusuf", "Zoe", "Aisha", "Bruno", "Chloe", "Dmitri", "Emma", "Felix", "Gita",
          "Henrik", "Isla", "Jamal", "Kenji", "Lea", "Mateo", "Nora", "Oscar", "Priya", "Rafael", "Sofia",
          "Tomas", "Ulla", "Victor", "Wen", "Yara", "Zain", "Amelie", "Carlos", "Diana", "Ethan", "Fatima",
          "Gabriel", "Hannah", "Ivan", "Julia", "Kofi")
_LAST = ("Andersen", "Becker", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ibrahim",
         "Jensen", "Kowalski", "Lopez", "Martin", "Novak", "Okafor", "Petrov", "Quist", "Rossi", "Schmidt",
         "Tanaka", "Umarov", "Varga", "Weber", "Xu", "Yilmaz", "Zimmermann", "Ahmed", "Bauer", "Chen",
         "De Vries", "Evans", "Fernandes", "Gruber", "Horvat", "Ivanova", "Janssen", "Khan", "Larsen",
         "Meyer", "Nielsen", "O'Brien", "Patel", "Ramos", "Silva", "Takahashi", "Ueda", "Vogel", "Wagner",
         "Young", "Zhang", "Berg", "Moreau", "Nakamura", "Olsen", "Pereira", "Richter", "Santos",
         "Thompson", "Walsh", "Keller")
_PORTFOLIOS = ("Digital Transformation", "Operational Excellence", "Customer Experience", "Regulatory & Risk",
               "Infrastructure Renewal", "Growth & Innovation", "Data & Analytics", "People & Workplace",
               "Sustainability", "Supply Chain")
_PROGRAM_THEMES = ("Cloud Migration", "ERP Renewal", "Omnichannel Sales", "Data Platform", "Cyber Resilience",
                   "Finance Modernisation", "Workplace of the Future", "Smart Factory", "Customer Self-Service",
                   "Payments Modernisation", "Regulatory Reporting", "Network Refresh", "Net Zero",
                   "Supplier Integration", "Talent Platform")
_REGIONS = ("", "EMEA", "Americas", "APAC")
_BUSINESS_UNITS = ("Retail", "Corporate Services", "Manufacturing", "Logistics", "Finance & Treasury",
                   "Customer Operations", "Wholesale", "Energy Services", "Healthcare", "Public Sector",
                   "Consumer Products", "Digital Channels", "Field Services", "Insurance", "Real Estate",
                   "Research", "Procurement Services", "Shared IT", "Marketing", "International")
_OBJECTIVES = ("Grow digital revenue", "Reduce cost to serve", "Improve customer satisfaction",
               "Strengthen regulatory compliance", "Modernise core technology", "Reach net zero operations",
               "Build a data-driven culture", "Attract and retain talent", "Expand into new markets",
               "Increase operational resilience")
_DEPARTMENTS = ("Engineering", "IT Operations", "Data & Analytics", "Finance", "PMO", "Marketing",
                "Customer Service", "Supply Chain", "Procurement", "Legal & Compliance", "Security",
                "Enterprise Architecture", "Digital Channels", "Product Management", "Quality Assurance",
                "Infrastructure", "HR", "Risk Management", "Manufacturing Engineering", "Logistics",
                "Research & Development", "Communications", "Business Intelligence", "Sales Operations",
                "Facilities")
_ROLES = ("Project Manager", "Business Analyst", "Solution Architect", "Software Developer", "Test Analyst",
          "Data Engineer", "Change Manager", "Scrum Master", "Infrastructure Engineer", "UX Designer",
          "Subject Matter Expert", "Security Specialist")
_ROLE_P = (0.10, 0.12, 0.06, 0.22, 0.10, 0.08, 0.05, 0.05, 0.08, 0.04, 0.07, 0.03)
_ACTIONS = ("Modernise", "Replace", "Upgrade", "Automate", "Consolidate", "Migrate", "Launch", "Redesign",
            "Implement", "Digitise", "Streamline", "Roll out", "Standardise", "Integrate", "Outsource")
_SUBJECTS = ("payments platform", "CRM", "general ledger", "data warehouse", "customer portal",
             "mobile app", "warehouse management", "HR system", "network core", "identity management",
             "billing engine", "contact centre", "document management", "procurement process",
             "field service scheduling", "e-commerce checkout", "regulatory reporting", "treasury system",
             "supplier onboarding", "product catalogue", "loyalty programme", "claims handling",
             "fleet telematics", "energy monitoring", "service desk", "order management", "pricing engine",
             "data centre", "email platform", "analytics workbench", "onboarding journey", "expense process",
             "quality management", "plant maintenance", "customer notifications", "archive storage",
             "sales forecasting", "payroll", "learning platform", "intranet")
_GREEN_SUMMARIES = (None, None, "On track.", "On track; no issues needing escalation.",
                    "Progressing to plan; next milestone on schedule.", "Work on schedule and within budget.")
_AMBER_SUMMARIES = (
    "Supplier delivery of the integration module is two weeks late; recovery plan agreed.",
    "Two key developers are on leave this month; some testing moved to next month.",
    "Scope of the reporting work grew after the last workshop; change request being assessed.",
    "Test environment was unavailable for a week; regression testing is behind plan.",
    "Costs running slightly above plan because of extra contractor days.",
    "Waiting for sign-off of the design from the business owner.",
    "Data migration trial found quality issues in the customer records; clean-up under way.",
    "Vendor licence negotiation is taking longer than expected.",
)
_RED_SUMMARIES = (
    "Go-live will miss the baseline date; the vendor cannot deliver the release before next quarter.",
    "Budget overrun forecast; steering committee asked to approve additional funding.",
    "Critical defects found in user acceptance testing; go-live postponed.",
    "Key architect left the project and has not been replaced; design work has stopped.",
    "Integration with the legacy system failed in testing; re-plan needed.",
    "Regulatory requirement changed; a large part of the scope must be reworked.",
)
_HOLD_SUMMARY = "On hold: awaiting a funding decision from the investment committee."
_CANCEL_SUMMARY = "Cancelled by the steering committee; the team is closing down open work."
_CLOSED_SUMMARY = "Delivered and handed over to operations; project closed."
_DROP_SUMMARY = "Scope re-baselined after the design review; progress re-measured against the new plan."
# (name, is_gate, typical position in the plan)
_MILESTONES = (("Gate 1 – Business case approved", True, 0.06), ("Requirements signed off", False, 0.18),
               ("Gate 2 – Solution design approved", True, 0.3), ("Build complete", False, 0.6),
               ("User acceptance testing complete", False, 0.78), ("Gate 3 – Go-live approved", True, 0.86),
               ("Go-live", False, 0.9), ("Gate 4 – Project closure", True, 1.0))
_RISK_TITLES = ("Key supplier may not deliver on time", "Loss of key staff during delivery",
                "Legacy data quality lower than assumed", "Business users unavailable for testing",
                "Integration complexity underestimated", "Licence costs may rise at renewal",
                "Regulatory requirements may change", "Security review may delay go-live",
                "Budget approval for next phase may be late", "Dependency on another project's release",
                "Performance of the new system under peak load", "Resistance to new ways of working",
                "Scope creep from stakeholder requests", "Infrastructure capacity insufficient",
                "Contractor rates increase", "Test environment instability", "Vendor financial stability",
                "Data privacy impact assessment outstanding", "Exchange rate movement on imported hardware",
                "Training not completed before go-live")
# (benefit_type, name, unit, baseline low, baseline high, change low, change high, change is relative).
# Financial benefits are cumulative money realised, from 0; the others are levels that move from a
# baseline towards a target (down is better for handling times, findings and vulnerabilities).
_BENEFIT_VARIANTS = (
    ("revenue", "Additional online revenue", "EUR", 0, 0, 0, 0, False),
    ("revenue", "Cross-sell revenue", "EUR", 0, 0, 0, 0, False),
    ("cost_saving", "Licence cost savings", "EUR", 0, 0, 0, 0, False),
    ("cost_saving", "Reduced manual processing cost", "EUR", 0, 0, 0, 0, False),
    ("cost_avoidance", "Avoided hardware refresh", "EUR", 0, 0, 0, 0, False),
    ("cost_avoidance", "Avoided regulatory penalties", "EUR", 0, 0, 0, 0, False),
    ("productivity", "Orders processed per FTE per day", "orders/FTE/day", 20, 40, 0.15, 0.4, True),
    ("productivity", "Average handling time", "minutes", 8, 15, -0.4, -0.2, True),
    ("customer", "Net promoter score", "NPS points", 10, 35, 8, 20, False),
    ("customer", "Customer satisfaction", "%", 65, 80, 5, 12, False),
    ("compliance", "Open audit findings", "findings", 8, 25, -1, -1, True),
    ("compliance", "Regulatory reports filed on time", "%", 70, 90, 8, 10, False),
    ("risk_reduction", "Critical vulnerabilities open", "count", 20, 60, -0.8, -0.6, True),
    ("risk_reduction", "Residual risk exposure score", "score", 40, 70, -0.5, -0.3, True),
)
_FINANCIAL_TYPES = ("revenue", "cost_saving", "cost_avoidance")
_CRITERIA = {"strategic_alignment": 3, "governance": 4, "talent": 2, "integration_tools": 3, "performance": 3,
             "value_delivery": 3, "leadership": 2, "change_management": 3, "continuous_improvement": 2}
_CRITERION_PREFIX = {"strategic_alignment": "SA", "governance": "GOV", "talent": "TAL", "integration_tools": "INT",
                     "performance": "PERF", "value_delivery": "VAL", "leadership": "LEAD",
                     "change_management": "CHG", "continuous_improvement": "CI"}
_LOW_MATURITY_COMMENTS = ("Practice is ad hoc and depends on individuals.",
                          "No common template; each team works differently.",
                          "Defined on paper but rarely applied.")


# --- calendar -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Calendar:
    """Months of the demo as integers: 0 is the first month, `last` the end month. Days are ints."""
    first: np.datetime64
    months: int

    @property
    def last(self) -> int:
        return self.months - 1

    def month_start(self, m) -> np.ndarray:
        return (self.first + np.asarray(m, dtype=np.int64)).astype("M8[D]").astype(np.int64)

    def month_end(self, m) -> np.ndarray:
        return self.month_start(np.asarray(m, dtype=np.int64) + 1) - 1

    def month_of(self, days) -> np.ndarray:
        return (np.asarray(days).astype("M8[D]").astype("M8[M]") - self.first).astype(np.int64)

    def label(self, m) -> np.ndarray:
        return np.datetime_as_string(self.first + np.asarray(m, dtype=np.int64), unit="M")

    @property
    def start_day(self) -> int:
        return int(self.month_start(0))

    @property
    def end_day(self) -> int:
        return int(self.month_end(self.last))


def _calendar(months: int, end_month: str | None) -> _Calendar:
    if end_month is None:
        # The month before today's: a load today then sees status reports less than 35 days old.
        end = np.datetime64(dt.date.today(), "M") - 1
    else:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", end_month):
            raise ValueError(f"end_month must be YYYY-MM, got {end_month!r}")
        end = np.datetime64(end_month, "M")
    return _Calendar(first=end - (months - 1), months=months)


def _roll(days: np.ndarray, direction: str) -> np.ndarray:
    """The nearest weekday on or after ('forward') / before ('backward') each day."""
    return np.busday_offset(np.asarray(days).astype("M8[D]"), 0, roll=direction).astype(np.int64)


def _busdays(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Weekdays in lo…hi, both inclusive; 0 where hi < lo."""
    lo, hi = np.asarray(lo), np.asarray(hi)
    n = np.busday_count(lo.astype("M8[D]"), np.maximum(hi + 1, lo).astype("M8[D]"))
    return n.astype(np.int64)


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(days, dtype=np.int64).astype("M8[D]"))  # NaT becomes null


def _ids(prefix: str, n: int, width: int) -> pl.Series:
    return pl.select(pl.lit(prefix) + pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(width)).to_series()


def _pick(values, idx: np.ndarray) -> pl.Series:
    """values[idx] as a polars string series (None entries stay null)."""
    return pl.Series(list(values), dtype=pl.String).gather(np.asarray(idx, dtype=np.int64))


def _masked(series: pl.Series, keep: np.ndarray) -> pl.Series:
    """series where keep, else null."""
    return series.scatter(np.flatnonzero(~np.asarray(keep)), None) if not np.all(keep) else series


def _names(rng: np.random.Generator, n: int) -> pl.Series:
    return _pick(_FIRST, rng.integers(0, len(_FIRST), n)) + " " + _pick(_LAST, rng.integers(0, len(_LAST), n))


def _hump(k: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Unnormalised spend profile: low at the start and end of a project, highest in the middle."""
    return np.sin(np.pi * (k + 0.5) / np.maximum(n, 1)) + 0.35


def _cover(values: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """values with each of 0…k-1 present at least once (k random positions overwritten)."""
    values = values.copy()
    values[rng.choice(len(values), k, replace=False)] = np.arange(k)
    return values


def _first_of_each(values: np.ndarray) -> np.ndarray:
    return np.unique(values, return_index=True)[1]


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts per parent: each child's parent index and its position 0…count-1 within the parent."""
    counts = np.asarray(counts, dtype=np.int64)
    parent = np.repeat(np.arange(len(counts)), counts)
    offsets = np.cumsum(counts) - counts
    return parent, np.arange(len(parent)) - offsets[parent]


# --- resources ----------------------------------------------------------------------------------

@dataclass
class _Resources:
    n: int
    names: pl.Series
    contractor: np.ndarray
    capacity: np.ndarray
    start: np.ndarray
    end: np.ndarray        # _NAT when open-ended
    pm: np.ndarray         # indexes of project managers
    frame: pl.DataFrame


def _resources(s: Scale, rng: np.random.Generator, cal: _Calendar) -> _Resources:
    n = s.resources
    W = cal.end_day - cal.start_day + 1
    contractor = rng.random(n) < 0.25
    role = rng.choice(len(_ROLES), size=n, p=_ROLE_P)
    role[: max(3, n // 12)] = 0  # enough managers to run every project
    capacity = np.where(contractor, rng.choice([40.0, 32.0, 24.0, 16.0], n, p=[.5, .2, .2, .1]),
                        rng.choice([40.0, 37.5, 32.0, 24.0, 20.0], n, p=[.6, .15, .12, .08, .05]))
    hourly = np.where(contractor, rng.uniform(85, 165, n), rng.uniform(45, 110, n)).round(2)
    veteran = ~contractor & (rng.random(n) < 0.8)
    start = np.where(veteran, cal.start_day - rng.integers(30, 3650, n),
                     cal.start_day + (rng.random(n) * (W - 90)).astype(np.int64) - np.where(contractor, 200, 0))
    start = _roll(start, "forward")
    leaver = ~contractor & (rng.random(n) < 0.08)
    end = np.full(n, _NAT)
    first_day = np.maximum(start, cal.start_day)
    end[leaver] = first_day[leaver] + 90 + (rng.random(leaver.sum()) * (W - 60)).astype(np.int64)
    fixed_term = contractor & (rng.random(n) < 0.7)
    end[fixed_term] = np.maximum(start[fixed_term] + rng.integers(120, 720, fixed_term.sum()), cal.start_day + 60)
    end[leaver & (end > cal.end_day)] = _NAT  # leavers still employed at the end month are simply staff
    end = np.where(end == _NAT, _NAT, _roll(np.where(end == _NAT, 0, end), "backward"))
    dept_w = rng.dirichlet(np.full(s.departments, 3.0))
    names = _names(rng, n)
    frame = pl.DataFrame({
        "resource_id": _ids("RES-", n, max(4, len(str(n)))),
        "resource_name": names,
        "role": _pick(_ROLES, role),
        "department": _pick(_DEPARTMENTS, rng.choice(s.departments, n, p=dept_w)),
        "employment_type": _pick(c.EMPLOYMENT_TYPES, contractor.astype(np.int64)),
        "weekly_capacity_hours": capacity,
        "hourly_cost": hourly,
        "start_date": _dates(start),
        "end_date": _dates(end),
    })
    return _Resources(n, names, contractor, capacity, start, end, np.flatnonzero(role == 0), frame)


# --- projects -----------------------------------------------------------------------------------

@dataclass
class _Projects:
    n: int
    stage: np.ndarray
    troubled: np.ndarray
    start: np.ndarray
    planned_days: np.ndarray
    actual_days: np.ndarray
    baseline_finish: np.ndarray
    forecast_finish: np.ndarray
    actual_finish: np.ndarray
    work_end: np.ndarray    # last day of work: finish, cancellation, hold, or the forecast finish
    freeze: np.ndarray      # progress stops moving after this day (on hold)
    bac: np.ndarray
    overrun: np.ndarray
    ids: pl.Series
    sponsors: pl.Series
    manager: np.ndarray     # resource index of the project manager
    deliberate: dict[str, int] = field(default_factory=dict)
    frame: pl.DataFrame | None = None
    finish_path: np.ndarray | None = None   # the finish the work is heading for (before a hold or a cancellation)

    def has(self, *stages: str) -> np.ndarray:
        return np.isin(self.stage, [_S[x] for x in stages])


def _projects(s: Scale, rng: np.random.Generator, cal: _Calendar, res: _Resources) -> _Projects:
    n = s.projects
    W = cal.end_day - cal.start_day + 1
    # Starts spread evenly from before the window (projects already in flight when the extracts begin)
    # to the coming quarter: the pipeline runs at a steady pace, and a project's stage follows from
    # where the end month falls in its life.
    lead = min(365, W // 3)
    slot = (np.arange(n) + rng.random(n)) / n  # stratified: a small portfolio does not bunch up by chance
    start = _roll(cal.start_day - lead + (slot * (lead + W + _PIPELINE_DAYS)).astype(np.int64), "forward")
    idea = start > cal.end_day
    troubled = (rng.random(n) < _TROUBLED_SHARE) & ~idea
    slip = np.where(troubled, rng.uniform(1.12, 1.55, n), rng.uniform(0.93, 1.06, n))
    max_days = min(730, int(W * 0.8))
    planned = (120 + (max_days - 120) * rng.random(n) ** 0.9).round().astype(np.int64)
    actual = (planned * slip).round().astype(np.int64)
    baseline = _roll(start + planned, "forward")
    finish_path = _roll(start + actual, "forward")
    elapsed = cal.end_day - start
    x = elapsed / actual
    finished = finish_path <= cal.end_day
    wrapping_up = finished & (finish_path > cal.end_day - 40) & (rng.random(n) < 0.5)
    stage = np.select(
        [idea, finished & ~wrapping_up, wrapping_up | (x >= _CLOSING_SHARE), elapsed < _INITIATION_DAYS,
         (elapsed < _PLANNING_DAYS) & (x < _PLANNING_SHARE)],
        [_S["idea"], _S["closed"], _S["closing"], _S["initiation"], _S["planning"]], _S["execution"])
    # Some projects are stopped along the way: cancelled (troubled ones more often) or put on hold.
    started = np.flatnonzero(~idea & (elapsed >= 60))
    weight = np.where(troubled[started], 3.0, 1.0)
    k = min(len(started), max(1, round(0.05 * n)))
    cancelled = rng.choice(started, k, replace=False, p=weight / weight.sum())
    stage[cancelled] = _S["cancelled"]
    running = np.flatnonzero((stage == _S["execution"]) & (elapsed >= 75))
    on_hold = rng.choice(running, min(len(running), max(1, round(0.05 * n))), replace=False)
    stage[on_hold] = _S["on_hold"]
    # A small portfolio can miss a short stage by chance; the demo shows every stage, so borrow the
    # execution project nearest to it.
    for name, closeness in (("initiation", -elapsed), ("planning", -elapsed), ("closing", x)):
        if not (stage == _S[name]).any():
            stage[np.argmax(np.where(stage == _S["execution"], closeness, -np.inf))] = _S[name]
    st = lambda *names: np.isin(stage, [_S[x] for x in names])  # noqa: E731

    hold = start + np.maximum((elapsed * rng.uniform(0.5, 0.9, n)).astype(np.int64), 30)
    cancel = start + np.clip((actual * rng.uniform(0.15, 0.6, n)).astype(np.int64), 20, np.maximum(elapsed - 15, 20))
    actual_finish = np.where(st("closed"), _roll(start + actual, "backward"), _NAT)
    forecast = np.select([st("closed"), st("on_hold"), st("idea", "cancelled")],
                         [actual_finish, finish_path + rng.integers(60, 180, n), _NAT], finish_path)
    work_end = np.select([st("closed"), st("cancelled"), st("on_hold")], [actual_finish, cancel, hold], finish_path)
    freeze = np.where(st("on_hold"), hold, np.iinfo(np.int64).max)

    bac = np.exp(rng.normal(np.log(s.budget), 0.8, n)) * (planned / 365) ** 0.8
    bac = np.maximum(np.round(bac, -3), 25_000.0)
    overrun = np.where(troubled, rng.uniform(1.08, 1.35, n), rng.uniform(0.92, 1.05, n))

    # Project ids follow start dates, as a PMIS numbers projects when they are created.
    order = np.lexsort((np.arange(n), start))
    (stage, troubled, start, planned, actual, baseline, forecast, actual_finish, work_end, freeze, bac, overrun,
     finish_path) = (a[order] for a in (stage, troubled, start, planned, actual, baseline, forecast, actual_finish,
                                        work_end, freeze, bac, overrun, finish_path))
    st = lambda *names: np.isin(stage, [_S[x] for x in names])  # noqa: E731

    # Deliberate warnings about reporting sit on running projects with a reporting history, the best
    # suited first (execution, a few months old, well under way); the cost ones on any started project.
    elapsed = cal.end_day - start
    month = cal.month_of(start)
    suited = (st("execution") & (month <= cal.last - 5) & (elapsed >= 0.3 * actual)).astype(float) \
        + (st("execution", "closing") & (month <= cal.last - 3))
    pick = np.argsort(-(suited + rng.random(n)), kind="stable")[:4]
    spent = np.flatnonzero(~st("idea") & (month <= cal.last - 2) & ~np.isin(np.arange(n), pick))
    if (suited[pick] < 1).any() or len(spent) < 2:
        raise ValueError("scale too small to place the deliberate warnings")
    chosen = [*pick, *rng.choice(spent, 2, replace=False)]
    deliberate = dict(zip(("pct_drop", "stale_1", "stale_2", "no_pm", "fin_bac", "credit"), map(int, chosen)))

    program = _cover(rng.integers(0, s.programs, n), s.programs, rng)
    in_program = rng.random(n) < 0.75
    in_program[np.isin(np.arange(n), _first_of_each(program))] = True
    # Programs belong to one portfolio each; as every program has a project, every portfolio has too.
    portfolio = np.where(in_program, program % s.portfolios, rng.integers(0, s.portfolios, n))
    programs = [f"{_PROGRAM_THEMES[i % len(_PROGRAM_THEMES)]}"
                + (f" – {_REGIONS[i // len(_PROGRAM_THEMES)]}" if i >= len(_PROGRAM_THEMES) else "")
                for i in range(s.programs)]
    bu_w = rng.dirichlet(np.full(s.business_units, 4.0))
    objective = rng.integers(0, s.objectives, n)
    has_objective = rng.random(n) < 0.9
    action, subject = rng.integers(0, len(_ACTIONS), n), rng.integers(0, len(_SUBJECTS), n)
    # Each project is run by a project manager who is employed while it runs (any one, if none is).
    until = np.minimum(work_end, cal.end_day)
    pm_end = np.where(res.end[res.pm] == _NAT, np.iinfo(np.int64).max, res.end[res.pm])
    eligible = ((res.start[res.pm][None, :] <= np.maximum(start, cal.start_day)[:, None])
                & (pm_end[None, :] >= until[:, None]))
    eligible[~eligible.any(axis=1)] = True
    pm = res.pm[np.argmax(np.where(eligible, rng.random(eligible.shape), -1.0), axis=1)]
    no_pm = st("idea")
    no_pm[deliberate["no_pm"]] = True
    sponsors = _names(rng, max(8, s.business_units * 2))
    ids = _ids("PRJ-", n, max(4, len(str(n))))

    frame = pl.DataFrame({
        "project_id": ids,
        "project_name": _pick(_ACTIONS, action) + " " + _pick(_SUBJECTS, subject),
        "portfolio": _pick(_PORTFOLIOS, portfolio),
        "program": _masked(_pick(programs, program), in_program),
        "business_unit": _pick(_BUSINESS_UNITS, _cover(rng.choice(s.business_units, n, p=bu_w), s.business_units, rng)),
        "strategic_objective_id": _masked(_ids("SO-", s.objectives, 2).gather(objective), has_objective),
        "sponsor": _masked(sponsors.gather(rng.integers(0, len(sponsors), n)), rng.random(n) < 0.95),
        "project_manager": _masked(res.names.gather(pm), ~no_pm),
        "delivery_approach": _pick(c.DELIVERY_APPROACHES, rng.choice(3, n, p=[.45, .3, .25])),
        "stage": _pick(c.STAGES, stage),
        "priority_score": _masked(pl.Series(rng.integers(5, 100, n)), rng.random(n) < 0.95),
        "start_date": _dates(start),
        "baseline_finish_date": _dates(baseline),
        "forecast_finish_date": _dates(forecast),
        "actual_finish_date": _dates(actual_finish),
        "budget_at_completion": bac,
    })
    # Repeated names get a phase suffix, as a second wave of the same work would be called.
    wave = pl.int_range(pl.len()).over("project_name") + 1
    frame = frame.with_columns(
        pl.when(wave > 1).then(pl.col("project_name") + " – phase " + wave.cast(pl.String))
        .otherwise(pl.col("project_name")).alias("project_name"))
    return _Projects(n, stage, troubled, start, planned, actual, baseline, forecast, actual_finish, work_end, freeze,
                     bac, overrun, ids, sponsors, pm, deliberate, frame, finish_path)


def _progress(p: _Projects, day: np.ndarray, pid: np.ndarray) -> np.ndarray:
    """Share of the work done by `day`: an S-curve over the project's actual duration."""
    x = np.clip((np.minimum(day, p.freeze[pid]) - p.start[pid]) / p.actual_days[pid], 0.0, 1.0)
    return 0.4 * x + 0.6 * (3 * x ** 2 - 2 * x ** 3)


def _objectives(s: Scale, rng: np.random.Generator) -> pl.DataFrame:
    return pl.DataFrame({
        "objective_id": _ids("SO-", s.objectives, 2),
        "objective_name": list(_OBJECTIVES[: s.objectives]),
        "weight": rng.choice([10.0, 15.0, 20.0, 25.0, 30.0], s.objectives),
    })


# --- PMIS ---------------------------------------------------------------------------------------

def _status_reports(p: _Projects, rng: np.random.Generator, cal: _Calendar) -> pl.DataFrame:
    first = np.maximum(cal.month_of(p.start), 0)  # the PMIS extract starts with the window
    last = np.select([p.has("closed", "cancelled")], [cal.month_of(np.where(p.work_end == _NAT, 0, p.work_end))],
                     cal.last)
    count = np.where(p.has("idea"), 0, np.maximum(last - first + 1, 0))
    for key in ("stale_1", "stale_2"):
        count[p.deliberate[key]] -= 2  # the last two monthly reports never arrived
    pid, k = _expand(count)
    month = first[pid] + k
    day = _roll(cal.month_end(month), "backward")  # reports are dated the last working day of the month
    n = len(pid)
    is_last = np.r_[pid[1:] != pid[:-1], True]

    pct = np.clip(np.round(100 * _progress(p, day, pid) + rng.normal(0, 1.5, n)), 0, 99)
    pct = np.where(p.has("closed")[pid] & is_last, 100, pct)
    # Progress never goes backwards: running maximum within each project (ids are contiguous).
    pct = np.maximum.accumulate(pct + pid * 1000.0) - pid * 1000.0
    drop = np.flatnonzero(is_last & (pid == p.deliberate["pct_drop"]))[0]
    pct[drop] = max(pct[drop - 1] - 12, 0)

    tr = p.troubled[pid]
    base = np.where(p.troubled, rng.uniform(0.5, 0.8, p.n), rng.uniform(0.05, 0.35, p.n))[pid]
    health = base + 0.25 * tr * _progress(p, day, pid) + rng.normal(0, 0.12, n)
    health = np.where(p.has("on_hold")[pid] & (day > p.freeze[pid]), np.maximum(health, 0.45), health)
    cancelled_last = p.has("cancelled")[pid] & is_last
    health = np.where(cancelled_last, 0.9, health)
    cuts = [0.4, 0.68]
    overall = np.digitize(health, cuts)
    subs = {name: np.digitize(health + shift + rng.normal(0, sd, n), cuts)
            for name, shift, sd in (("schedule_rag", 0.03, 0.12), ("cost_rag", 0.0, 0.15), ("scope_rag", -0.12, 0.12))}
    no_subs = (rng.random(p.n) < 0.07)[pid]  # some project managers only give the overall rating

    texts = (*_GREEN_SUMMARIES, *_AMBER_SUMMARIES, *_RED_SUMMARIES,
             _HOLD_SUMMARY, _CANCEL_SUMMARY, _CLOSED_SUMMARY, _DROP_SUMMARY)
    offset = np.cumsum([0, len(_GREEN_SUMMARIES), len(_AMBER_SUMMARIES), len(_RED_SUMMARIES)])
    size = np.array([len(_GREEN_SUMMARIES), len(_AMBER_SUMMARIES), len(_RED_SUMMARIES)])
    summary = offset[overall] + (rng.random(n) * size[overall]).astype(np.int64)
    special = offset[-1]
    summary[p.has("on_hold")[pid] & (day > p.freeze[pid])] = special
    summary[cancelled_last] = special + 1
    summary[p.has("closed")[pid] & is_last] = special + 2
    summary[drop] = special + 3
    return pl.DataFrame({
        "project_id": p.ids.gather(pid),
        "report_date": _dates(day),
        "overall_rag": _pick(c.RAG, overall),
        **{name: _masked(_pick(c.RAG, v), ~no_subs) for name, v in subs.items()},
        "percent_complete": pct.astype(np.int64),
        "summary": _pick(texts, summary),
    })


def _held(path: np.ndarray, end_day) -> np.ndarray:
    """An open milestone's forecast once its project is on hold: a quarter later, and a month past
    the extract's date at least."""
    return np.maximum(path + 90, end_day + 30)


@dataclass
class _MilestonePlan:
    """The milestones extract and what it was drawn from: each row's project index and the date the
    work reaches it (`path`; its actual date once achieved)."""
    pid: np.ndarray
    path: np.ndarray
    frame: pl.DataFrame


def _milestones(p: _Projects, rng: np.random.Generator, cal: _Calendar) -> pl.DataFrame:
    return _milestone_plan(p, rng, cal).frame


def _milestone_plan(p: _Projects, rng: np.random.Generator, cal: _Calendar) -> _MilestonePlan:
    chosen = rng.random((p.n, len(_MILESTONES))) < 0.55
    chosen[:, [0, 6]] = True
    chosen[p.has("idea"), 3:] = False  # an idea has only its early gates planned
    pid, tpl = np.nonzero(chosen)
    n = len(pid)
    pos = np.clip(np.array([m[2] for m in _MILESTONES])[tpl] + rng.uniform(-0.03, 0.03, n), 0.02, 1.0)
    baseline = _roll(p.start[pid] + np.round(pos * p.planned_days[pid]).astype(np.int64), "forward")
    tr = p.troubled[pid]
    path = p.start[pid] + np.round(pos * p.actual_days[pid] + np.where(tr, rng.normal(10, 12, n),
                                                                         rng.normal(-2, 5, n))).astype(np.int64)
    path = _roll(np.maximum(path, p.start[pid]), "forward")
    closed = p.has("closed")[pid]
    path = np.where(closed, np.minimum(path, p.actual_finish[pid]), path)
    stop = np.where(p.has("idea")[pid], _NAT, np.minimum(p.work_end[pid], cal.end_day))
    done = (path <= stop) | closed
    later = np.where(p.has("on_hold")[pid], _held(path, cal.end_day), path)
    forecast = np.where(done, path, np.where(p.has("cancelled")[pid], _NAT, later))
    return _MilestonePlan(pid, path, pl.DataFrame({
        "milestone_id": _ids("MS-", n, max(5, len(str(n)))),
        "project_id": p.ids.gather(pid),
        "milestone_name": _pick([m[0] for m in _MILESTONES], tpl),
        "is_gate": np.array([m[1] for m in _MILESTONES])[tpl],
        "baseline_date": _dates(baseline),
        "forecast_date": _dates(forecast),
        "actual_date": _dates(np.where(done, path, _NAT)),
    }))


def _risks(p: _Projects, rng: np.random.Generator, cal: _Calendar, res: _Resources) -> pl.DataFrame:
    count = np.where(p.has("idea"), 0, rng.poisson(3, p.n) + 1 + 2 * p.troubled)
    pid, _ = _expand(count)
    n = len(pid)
    span = np.maximum(np.minimum(p.work_end, cal.end_day) - p.start, 1)[pid]
    raised = _roll(p.start[pid] + (rng.random(n) * span).astype(np.int64), "backward")
    raised = np.maximum(raised, p.start[pid])
    tr = p.troubled[pid]
    levels = np.arange(1, 6)
    prob = np.where(tr, rng.choice(levels, n, p=[.05, .15, .3, .3, .2]),
                    rng.choice(levels, n, p=[.25, .3, .25, .15, .05]))
    impact = np.where(tr, rng.choice(levels, n, p=[.05, .1, .3, .3, .25]),
                      rng.choice(levels, n, p=[.2, .3, .3, .15, .05]))
    finished = p.has("closed", "cancelled")[pid]
    closed_on = raised + rng.integers(7, 160, n)
    is_closed = (rng.random(n) < np.where(finished, 0.9, 0.4)) & (closed_on <= cal.end_day)
    return pl.DataFrame({
        "risk_id": _ids("RSK-", n, max(5, len(str(n)))),
        "project_id": p.ids.gather(pid),
        "title": _pick(_RISK_TITLES, rng.integers(0, len(_RISK_TITLES), n)),
        "probability": prob,
        "impact": impact,
        "status": _pick(c.RISK_STATUSES, is_closed.astype(np.int64)),
        "owner": _masked(res.names.gather(rng.integers(0, res.n, n)), rng.random(n) < 0.92),
        "raised_date": _dates(raised),
        "closed_date": _dates(np.where(is_closed, closed_on, _NAT)),
    })


# --- finance ------------------------------------------------------------------------------------

def _financials(p: _Projects, rng: np.random.Generator, cal: _Calendar) -> pl.DataFrame:
    m0 = cal.month_of(p.start)
    plan_n = cal.month_of(p.baseline_finish) - m0 + 1
    spend_end = np.where(p.has("idea", "cancelled"), p.baseline_finish,
                         np.where(p.has("on_hold", "closed"), p.forecast_finish, p.work_end))
    spend_n = cal.month_of(spend_end) - m0 + 1
    pid, k = _expand(np.maximum(plan_n, spend_n))
    month = m0[pid] + k
    n = len(pid)

    w_plan = np.where(k < plan_n[pid], _hump(k, plan_n[pid]), 0.0)
    w_plan /= np.bincount(pid, w_plan, p.n)[pid]
    w_spend = np.where(k < spend_n[pid], _hump(k, spend_n[pid]), 0.0)
    w_spend /= np.bincount(pid, w_spend, p.n)[pid]
    planned = p.bac[pid] * w_plan
    planned[pid == p.deliberate["fin_bac"]] *= 1.15  # finance kept an old, larger budget
    spend = p.bac[pid] * p.overrun[pid] * w_spend

    stop_month = np.where(p.has("idea"), -1, cal.month_of(np.minimum(p.work_end, cal.end_day)))[pid]
    past = month <= cal.last
    actual = np.where(month <= stop_month, spend * rng.normal(1.0, 0.08, n).clip(0.7, 1.3), 0.0)
    # Forecasts cover the months still to come; stopped projects expect no more spend.
    forecast = np.where(p.has("cancelled")[pid], 0.0, np.where(p.has("on_hold")[pid], np.nan, spend))

    capex = np.where(rng.random(p.n) < 0.35, 0.0, rng.uniform(0.3, 0.75, p.n))[pid]
    parts = []
    for cat, share in (("capex", capex), ("opex", 1 - capex)):
        keep = share > 0
        parts.append(pl.DataFrame({
            "pid": pid[keep], "month": month[keep], "cost_category": cat,
            "planned_cost": np.round(planned * share, 2)[keep],
            "actual_cost": pl.Series(np.where(past, np.round(actual * share, 2), np.nan)[keep], nan_to_null=True),
            "forecast_cost": pl.Series(np.where(past, np.nan, np.round(forecast * share, 2))[keep], nan_to_null=True),
        }))
    df = pl.concat(parts).sort("pid", "month", "cost_category")
    # A vendor credit note booked against the project: a negative actual in one opex month.
    credit = p.deliberate["credit"]
    df = df.with_columns(pl.when((pl.col("pid") == credit) & (pl.col("month") == m0[credit] + 1)
                                 & (pl.col("cost_category") == "opex"))
                         .then(-float(np.clip(np.round(p.bac[credit] * 0.02, -1), 2_500, 15_000)))
                         .otherwise(pl.col("actual_cost")).alias("actual_cost"))
    return df.with_columns(project_id=p.ids.gather(df["pid"]), period=pl.Series(cal.label(df["month"].to_numpy())))


# --- HR -----------------------------------------------------------------------------------------

@dataclass
class _Allocations:
    pid: np.ndarray
    rid: np.ndarray
    month: np.ndarray
    hours: np.ndarray
    lo: np.ndarray       # first and last day of the assignment within the month and employment
    hi: np.ndarray
    ts_days: np.ndarray  # weekdays that can carry timesheet bookings (up to the end month)


def _allocations(s: Scale, p: _Projects, r: _Resources, rng: np.random.Generator, cal: _Calendar) -> _Allocations:
    staffed = ~p.has("idea")
    scale = np.sqrt(p.bac / np.median(p.bac))
    lo_size, hi_size = s.team_size
    size = np.where(staffed, np.clip(np.round(rng.uniform(lo_size, hi_size, p.n) * scale), 2, 3 * hi_size), 0)
    pid, k = _expand(size)
    # The first member of each team is its project manager, on board from start to finish.
    # Contractors are hired for project work, so they are drawn onto teams more often.
    weight = np.where(r.contractor, 3.0, 1.0)
    rid = np.where(k == 0, p.manager[pid], rng.choice(r.n, len(pid), p=weight / weight.sum()))
    _, first = np.unique(pid * r.n + rid, return_index=True)  # one assignment per person and project
    first.sort()
    pid, rid, k = pid[first], rid[first], k[first]
    n = len(pid)
    share = np.where(k == 0, rng.uniform(0.15, 0.35, n), rng.uniform(*s.share, n))

    span = p.work_end[pid] - p.start[pid]
    a = np.where(k == 0, 0.0, rng.uniform(0.0, 0.35, n))
    b = np.where(k == 0, 1.0, rng.uniform(0.65, 1.0, n))
    lo = np.maximum(p.start[pid] + (a * span).astype(np.int64), np.maximum(r.start[rid], cal.start_day))
    hi = np.minimum(p.start[pid] + (b * span).astype(np.int64),
                    np.where(r.end[rid] == _NAT, np.iinfo(np.int64).max, r.end[rid]))
    hi = np.minimum(hi, cal.month_end(cal.last + _ALLOC_HORIZON))
    keep = hi >= lo
    pid, rid, share, lo, hi = pid[keep], rid[keep], share[keep], lo[keep], hi[keep]

    m_lo, m_hi = cal.month_of(lo), cal.month_of(hi)
    idx, j = _expand(m_hi - m_lo + 1)
    month = m_lo[idx] + j
    d_lo = np.maximum(lo[idx], cal.month_start(month))
    d_hi = np.minimum(hi[idx], cal.month_end(month))
    days = _busdays(d_lo, d_hi)
    hours = share[idx] * r.capacity[rid[idx]] * days / 5

    # Resource managers level each person's month towards a personal load: overloads are trimmed and
    # thin months topped up (within limits), some people sit above 100 % so over-allocation shows up.
    months = cal.months + _ALLOC_HORIZON
    key = rid[idx] * months + month
    total = np.bincount(key, hours, r.n * months)
    r_end = np.where(r.end == _NAT, cal.month_end(months), r.end)
    cap_days = _busdays(np.maximum(cal.month_start(np.arange(months))[None, :], r.start[:, None]),
                        np.minimum(cal.month_end(np.arange(months))[None, :], r_end[:, None]))
    target = rng.uniform(0.65, 1.12, r.n)[:, None] * r.capacity[:, None] * cap_days / 5
    factor = np.minimum(target.ravel() / np.maximum(total, 1e-9), 2.5)[key]
    hours = np.round(hours * factor * 2) / 2  # planners think in half hours
    keep = hours > 0
    idx, month, d_lo, d_hi, hours = idx[keep], month[keep], d_lo[keep], d_hi[keep], hours[keep]
    ts_days = np.where(month <= cal.last, _busdays(d_lo, np.minimum(d_hi, cal.end_day)), 0)
    return _Allocations(pid[idx], rid[idx], month, hours, d_lo, d_hi, ts_days)


def _allocations_frame(a: _Allocations, p: _Projects, r: _Resources, cal: _Calendar) -> pl.DataFrame:
    order = np.lexsort((a.month, a.pid, a.rid))
    return pl.DataFrame({
        "resource_id": r.frame["resource_id"].gather(a.rid[order]),
        "project_id": p.ids.gather(a.pid[order]),
        "period": cal.label(a.month[order]),
        "planned_hours": a.hours[order],
    })


def _timesheets(a: _Allocations, p: _Projects, r: _Resources, rng: np.random.Generator, cal: _Calendar,
                ) -> pl.DataFrame:
    W = cal.end_day - cal.start_day + 1
    absent = rng.random((r.n, W)) < _ABSENCE_RATE
    # How much of the plan people actually book: troubled projects burn more than planned.
    booked = np.where(p.troubled[a.pid], rng.uniform(0.9, 1.15, len(a.pid)), rng.uniform(0.75, 1.05, len(a.pid)))
    per_day = a.hours / np.maximum(_busdays(a.lo, a.hi), 1) * booked
    out_r, out_p, out_d, out_h = [], [], [], []
    for m in range(cal.months):  # one pass per month; each is a dense grid of assignments × weekdays
        rows = np.flatnonzero((a.month == m) & (a.ts_days > 0))
        days = np.arange(int(cal.month_start(m)), int(cal.month_end(m)) + 1)
        days = days[np.is_busday(days.astype("M8[D]"))]
        rid = a.rid[rows][:, None]
        ok = (days[None, :] >= a.lo[rows][:, None]) & (days[None, :] <= a.hi[rows][:, None])
        ok &= ~absent[rid, days[None, :] - cal.start_day]
        hours = np.round(per_day[rows][:, None] * rng.normal(1.0, 0.15, ok.shape).clip(0.5, 1.5) * 4) / 4
        ok &= hours > 0
        ii, jj = np.nonzero(ok)
        out_r.append(a.rid[rows][ii])
        out_p.append(a.pid[rows][ii])
        out_d.append(days[jj])
        out_h.append(hours[ii, jj])
    rid, pid, day, hours = (np.concatenate(x) for x in (out_r, out_p, out_d, out_h))

    # Nobody books more than a long day; trim the rare busy day proportionally.
    key = rid * W + (day - cal.start_day)
    total = np.bincount(key, hours, r.n * W)[key]
    hours = np.where(total > _DAY_LIMIT, np.floor(hours * _DAY_LIMIT / np.maximum(total, 1e-9) * 4) / 4, hours)
    keep = hours > 0
    rid, pid, day, hours = rid[keep], pid[keep], day[keep], hours[keep]

    # Deliberate TS-DAY-TOTAL: one go-live day of 14 hours.
    mid = np.flatnonzero(cal.month_of(day) == cal.last - 2)
    i = int(mid[rng.integers(0, len(mid))])
    key = rid * W + (day - cal.start_day)
    day_total = float(hours[key == key[i]].sum())

    # Deliberate TS-OUTSIDE-EMPLOYMENT: a leaver books the next weekday after the end date, in the same
    # month (so the booking still has an allocation behind it).
    last_day = np.full(r.n, _NAT)
    np.maximum.at(last_day, rid, day)
    end = np.where(r.end == _NAT, 0, r.end)
    late = _roll(end + 1, "forward")
    left = np.flatnonzero((r.end != _NAT) & (r.end < cal.end_day - 10) & (last_day != _NAT)
                          & (cal.month_of(late) == cal.month_of(end)) & (cal.month_of(last_day) == cal.month_of(end)))
    if not len(left):
        raise ValueError("scale too small to place the deliberate warnings")
    who = int(left[rng.integers(0, len(left))])
    late_pid = int(pid[np.flatnonzero((rid == who) & (day == last_day[who]))[0]])
    extra = pl.DataFrame({"rid": [int(rid[i]), who], "pid": [int(pid[i]), late_pid],
                          "day": [int(day[i]), int(late[who])], "hours": [14.0 - day_total, 4.0]})

    df = pl.concat([pl.DataFrame({"rid": rid, "pid": pid, "day": day, "hours": hours}), extra])
    df = df.sort("day", "rid", "pid", maintain_order=True)
    return pl.DataFrame({
        "resource_id": r.frame["resource_id"].gather(df["rid"]),
        "project_id": p.ids.gather(df["pid"]),
        "work_date": _dates(df["day"].to_numpy()),
        "hours": df["hours"],
    })


# --- benefits -----------------------------------------------------------------------------------

def _benefits(p: _Projects, rng: np.random.Generator, cal: _Calendar) -> tuple[pl.DataFrame, pl.DataFrame]:
    count = 1 + (rng.random(p.n) < 0.5) + (rng.random(p.n) < 0.15)
    pid, _ = _expand(count)
    n = len(pid)
    spec = list(zip(*_BENEFIT_VARIANTS))
    btype, names, units = spec[0], spec[1], spec[2]
    b_lo, b_hi, c_lo, c_hi, relative = (np.array(col) for col in spec[3:])
    is_fin = np.isin(btype, _FINANCIAL_TYPES)
    fin_variants, other_variants = np.flatnonzero(is_fin), np.flatnonzero(~is_fin)
    variant = np.where(rng.random(n) < 0.55, rng.choice(fin_variants, n), rng.choice(other_variants, n))
    # Every benefit type appears at least once.
    first_of_type = np.array([btype.index(t) for t in c.BENEFIT_TYPES])
    variant[rng.choice(n, len(first_of_type), replace=False)] = first_of_type
    fin = is_fin[variant]
    baseline = np.where(fin, 0.0, np.round(rng.uniform(b_lo[variant], b_hi[variant]), 1))
    change = rng.uniform(c_lo[variant], c_hi[variant])
    target = np.where(fin, np.round(p.bac[pid] * rng.uniform(0.8, 3.0, n), -3),
                      np.round(np.where(relative[variant], baseline * (1 + change), baseline + change), 1))
    target = np.where(target == baseline, baseline + 1, target)

    start = cal.month_of(p.baseline_finish)[pid] + rng.integers(0, 3, n)
    length = rng.integers(6, 19, n)
    delivered = np.where(p.actual_finish != _NAT, p.actual_finish, p.forecast_finish)
    lag = np.where(delivered[pid] == _NAT, 10_000, cal.month_of(np.where(delivered == _NAT, 0, delivered))[pid]
                   - cal.month_of(p.baseline_finish)[pid])
    lag = np.where(p.has("on_hold")[pid], 10_000, lag)
    weak = (rng.random(p.n) < 0.15)[pid]
    realised = np.where(p.troubled[pid] | weak, rng.uniform(0.4, 0.75, n), rng.uniform(0.85, 1.1, n))
    benefits = pl.DataFrame({
        "benefit_id": _ids("BEN-", n, max(5, len(str(n)))),
        "project_id": p.ids.gather(pid),
        "benefit_name": _pick(names, variant),
        "category": _pick(c.BENEFIT_CATEGORIES, (~fin).astype(np.int64)),
        "benefit_type": _pick(btype, variant),
        "owner": _masked(p.sponsors.gather(rng.integers(0, len(p.sponsors), n)), rng.random(n) < 0.9),
        "unit": _pick(units, variant),
        "baseline_value": baseline,
        "target_value": target,
        "planned_start": cal.label(start),
        "planned_end": cal.label(start + length - 1),
    })

    bid, k = _expand(length)
    period = start[bid] + k
    m = len(bid)
    gap = (target - baseline)[bid]
    planned = baseline[bid] + gap * (k + 1) / length[bid]
    ramp = np.clip((k + 1 - lag[bid]) / length[bid], 0, 1)
    actual = baseline[bid] + gap * ramp * realised[bid] * rng.normal(1.0, 0.05, m)
    measured = (period <= cal.last) & ~p.has("cancelled")[pid][bid]
    digits = np.where(fin[bid], 0, 1)
    measurements = pl.DataFrame({
        "benefit_id": benefits["benefit_id"].gather(bid),
        "period": cal.label(period),
        "planned_value": np.where(digits == 0, np.round(planned), np.round(planned, 1)),
        "actual_value": pl.Series(np.where(measured, np.where(digits == 0, np.round(actual), np.round(actual, 1)),
                                           np.nan), nan_to_null=True),
    })
    return benefits, measurements


# --- PMO ----------------------------------------------------------------------------------------

def _maturity(s: Scale, rng: np.random.Generator, cal: _Calendar) -> pl.DataFrame:
    # Assessed every March and September, starting with the last campaign before the window, so every
    # month of the demo has a maturity score.
    months = np.arange(-5, cal.months)
    month_of_year = (cal.first + months).astype(int) % 12 + 1
    campaigns = months[np.isin(month_of_year, (3, 9))]
    domains = [d for d in c.MATURITY_DOMAINS for _ in range(_CRITERIA[d])]
    crit = [f"{_CRITERION_PREFIX[d]}-{i + 1}" for d in c.MATURITY_DOMAINS for i in range(_CRITERIA[d])]
    dom_idx = np.array([c.MATURITY_DOMAINS.index(d) for d in domains])
    nb, nc, na = s.business_units, len(crit), len(campaigns)

    bu_level = rng.uniform(-0.6, 0.6, nb)
    level = rng.uniform(1.3, 3.2, (nb, nc)) + bu_level[:, None]
    pace = rng.uniform(0.05, 0.2, nb)  # score gained per half-year
    domain_level = np.stack([level[:, dom_idx == d].mean(axis=1) for d in range(len(c.MATURITY_DOMAINS))], axis=1)
    target = np.clip(np.round(domain_level) + rng.integers(1, 3, domain_level.shape), 3, 5)
    a, b, k = np.meshgrid(np.arange(na), np.arange(nb), np.arange(nc), indexing="ij")
    a, b, k = a.ravel(), b.ravel(), k.ravel()
    score = np.clip(np.round(level[b, k] + pace[b] * a + rng.normal(0, 0.3, len(a))), 1, 5)
    day = _roll(cal.month_start(campaigns[a]) + 9 + rng.integers(0, 14, nb)[b], "forward")
    low = score <= 2
    comment = _masked(_pick(_LOW_MATURITY_COMMENTS, rng.integers(0, 3, len(a))), low & (rng.random(len(a)) < 0.6))
    return pl.DataFrame({
        "assessment_id": np.char.add("MAT-", cal.label(campaigns[a])),
        "assessment_date": _dates(day),
        "business_unit": _pick(_BUSINESS_UNITS, b),
        "domain": _pick(c.MATURITY_DOMAINS, dom_idx[k]),
        "criterion_id": _pick(crit, k),
        "score": score.astype(np.int64),
        "target_score": target[b, dom_idx[k]].astype(np.int64),
        "comment": comment,
    })


# --- entry points -------------------------------------------------------------------------------

def _scale(scale: str | Scale) -> Scale:
    if isinstance(scale, Scale):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}") from None


def _streams(seed: int) -> dict[str, np.random.Generator]:
    # One independent stream per table, so a change to one table's generator leaves the others intact.
    names = ("resources", "projects", "objectives", "status_reports", "milestones", "risks", "financials",
             "allocations", "timesheets", "benefits", "maturity")
    return dict(zip(names, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(names)))))


def _plan(scale: str | Scale, seed: int, end_month: str | None):
    s = _scale(scale)
    cal = _calendar(s.months, end_month)
    rng = _streams(seed)
    res = _resources(s, rng["resources"], cal)
    prj = _projects(s, rng["projects"], cal, res)
    return s, cal, rng, res, prj


def planned_sizes(scale: str | Scale = "small", seed: int = 42, end_month: str | None = None) -> dict[str, int]:
    """Row counts of the people and planning tables, and an estimate of timesheet rows, without writing files.

    Cheap even for the enterprise scale: timesheets are counted from allocations, not generated.
    """
    s, cal, rng, res, prj = _plan(scale, seed, end_month)
    alloc = _allocations(s, prj, res, rng["allocations"], cal)
    return {"projects": prj.n, "resources": res.n, "allocations": len(alloc.pid),
            "timesheets_estimate": int(alloc.ts_days.sum() * (1 - _ABSENCE_RATE)),
            "months": cal.months}


def build_demo(scale: str | Scale = "small", seed: int = 42, end_month: str | None = None,
               progress: Callable[[str, float], None] | None = None) -> dict[str, pl.DataFrame]:
    """The demo batch as data frames, one per contract table, in contract column order."""
    say = progress or (lambda message, fraction: None)
    say("resources and projects", 0.0)
    s, cal, rng, res, prj = _plan(scale, seed, end_month)
    tables: dict[str, pl.DataFrame] = {"projects": prj.frame, "resources": res.frame,
                                       "strategic_objectives": _objectives(s, rng["objectives"])}
    say("status reports, milestones and risks", 0.1)
    tables["status_reports"] = _status_reports(prj, rng["status_reports"], cal)
    tables["milestones"] = _milestones(prj, rng["milestones"], cal)
    tables["risks"] = _risks(prj, rng["risks"], cal, res)
    say("financials", 0.2)
    tables["financials"] = _financials(prj, rng["financials"], cal)
    say("allocations", 0.3)
    alloc = _allocations(s, prj, res, rng["allocations"], cal)
    tables["allocations"] = _allocations_frame(alloc, prj, res, cal)
    say("timesheets", 0.4)
    tables["timesheets"] = _timesheets(alloc, prj, res, rng["timesheets"], cal)
    say("benefits and maturity", 0.6)
    tables["benefits"], tables["benefit_measurements"] = _benefits(prj, rng["benefits"], cal)
    tables["maturity_assessments"] = _maturity(s, rng["maturity"], cal)
    say("gate reviews, change requests and PMO costs", 0.65)
    tables.update(governance_tables(prj.frame, prj.troubled, prj.work_end, tables["milestones"], tables["financials"],
                                    list(cal.label(np.arange(cal.months))), cal.end_day, seed))
    return {name: tables[name].select(c.TABLES[name].column_names) for name in c.TABLE_NAMES}


def generate_demo(out_dir: str | Path, scale: str = "small", seed: int = 42, end_month: str | None = None,
                  progress: Callable[[str, float], None] | None = None) -> dict[str, int]:
    """Write one CSV per contract table (projects.csv, status_reports.csv, …) into out_dir; return {table: rows}.

    `end_month` ('YYYY-MM') is the last month with data; by default the month before today's.
    The same seed and end_month give byte-identical files.
    """
    say = progress or (lambda message, fraction: None)
    tables = build_demo(scale, seed, end_month, say)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = {}
    for i, (name, df) in enumerate(tables.items()):
        say(f"writing {name}.csv", 0.7 + 0.3 * i / len(tables))
        df.write_csv(out / f"{name}.csv")
        rows[name] = df.height
    say("done", 1.0)
    return rows
