"""The data accuracy rules of CONTRACT §2: the registry, and the rules that look across rows or tables.

Row rules live in `models`; here are the warnings that depend on the load date and the rules that
look across rows or tables. They run as SQL over the tables as they will be after the load: the
batch's tables where it has them, the ones already loaded for the others (see `State`).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Callable

from .. import contract as c
from ..findings import ERROR, WARNING
from ..formatting import share
from ..sources.cells import float_text


@dataclass(frozen=True)
class Rule:
    id: str
    tables: tuple[str, ...]
    severity: str
    description: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("SCHEMA", c.TABLE_NAMES, ERROR, "required columns present; values parse to their type; enumerations valid; key columns non-null and unique"),
    Rule("PRJ-DATES", ("projects",), ERROR, "finish dates (baseline, forecast, actual) must not be before start_date"),
    Rule("PRJ-BUDGET", ("projects",), ERROR, "budget_at_completion must not be negative"),
    Rule("PRJ-CLOSED", ("projects",), ERROR, "a closed project must have an actual_finish_date"),
    Rule("PRJ-OBJECTIVE", ("projects",), ERROR, "strategic_objective_id, when given, must exist in strategic_objectives"),
    Rule("PRJ-FUTURE-FINISH", ("projects",), WARNING, "actual_finish_date is after the load date"),
    Rule("PRJ-NO-PM", ("projects",), WARNING, "an active project has no project_manager"),
    Rule("REF-PROJECT", ("status_reports", "milestones", "risks", "financials", "allocations", "timesheets", "benefits"), ERROR, "project_id must exist in projects"),
    Rule("REF-RESOURCE", ("allocations", "timesheets"), ERROR, "resource_id must exist in resources"),
    Rule("REF-BENEFIT", ("benefit_measurements",), ERROR, "benefit_id must exist in benefits"),
    Rule("STS-PCT", ("status_reports",), ERROR, "percent_complete must be between 0 and 100"),
    Rule("STS-PCT-DROP", ("status_reports",), WARNING, "percent_complete is lower than the project's previous report"),
    Rule("STS-STALE", ("status_reports",), WARNING, f"an active project's latest report is more than {c.STALE_REPORT_DAYS} days before the load date, or it has none"),
    Rule("STS-FUTURE-REPORT", ("status_reports",), WARNING, "report_date is after the load date (a typo such as 2062 for 2026); such a report never sets the default as-of month"),
    Rule("MS-FUTURE-ACTUAL", ("milestones",), WARNING, "actual_date is after the load date"),
    Rule("FIN-PLANNED", ("financials",), ERROR, "planned_cost must not be negative"),
    Rule("FIN-NEGATIVE-ACTUAL", ("financials",), WARNING, "actual_cost is negative (a credit)"),
    Rule("FIN-BAC", ("financials",), WARNING, f"a project's total planned_cost differs from its budget_at_completion by more than {share(c.BAC_TOLERANCE, '.0f')}"),
    Rule("RES-CAPACITY", ("resources",), ERROR, "weekly_capacity_hours must be above 0 and at most 80; hourly_cost must not be negative"),
    Rule("ALC-HOURS", ("allocations",), ERROR, "planned_hours must not be negative"),
    Rule("TS-HOURS", ("timesheets",), ERROR, "hours must be above 0 and at most 24"),
    Rule("TS-DAY-TOTAL", ("timesheets",), WARNING, f"a resource logs more than {c.DAY_HOURS_LIMIT} hours on one day"),
    Rule("TS-OUTSIDE-EMPLOYMENT", ("timesheets",), WARNING, "work_date is outside the resource's start_date…end_date"),
    Rule("BEN-TARGET", ("benefits",), ERROR, "target_value must differ from baseline_value, and planned_end must not be before planned_start"),
    Rule("KEY-NEAR-DUPLICATE", c.TABLE_NAMES, WARNING, "two keys, or a reference and the key it should match, or two spellings of a business unit, portfolio, program or department, differ as written but are equal after Unicode NFKC, case folding and removing zero-width and no-break spaces"),
    Rule("HDR-DUPLICATE", c.TABLE_NAMES, WARNING, "a header names the same column more than once and the mapping does not say which to use: the first is read, the others are named"),
    Rule("XLSX-HIDDEN", c.TABLE_NAMES, WARNING, "a hidden or very hidden sheet: it is not read, and the warning names it"),
    Rule("XLSX-FORMULA", c.TABLE_NAMES, WARNING, "a cell holds a formula: its cached value is used, and a formula with no cached value reads as empty (recalculate and save in Excel); an Excel error value (#N/A) is read as its text"),
    Rule("DATE-PLAUSIBLE", tuple(t.name for t in c.TABLES.values() if any(col.type in (c.DATE, c.MONTH) for col in t.columns)), ERROR, "a date before 1900-01-01 or after 2200-12-31 (a placeholder such as 0001-01-01 or 9999-12-31, or a typo)"),
    Rule("MAT-SCORE", ("maturity_assessments",), ERROR, "score and target_score must be between 1 and 5"),
    # -- governance and the PMO's own value --
    Rule("GATE-MILESTONE", ("gate_reviews",), ERROR, "milestone_id, when given, must be a gate milestone (is_gate true) of the same project"),
    Rule("CR-DATES", ("change_requests",), ERROR, "decided_date must not be before raised_date"),
    Rule("CR-DECISION", ("change_requests",), ERROR, "decision and decided_date must both be given, or both be empty"),
    Rule("PMO-COST", ("pmo_costs",), ERROR, "planned_cost must not be negative"),
    Rule("SCORE-RANGE", ("project_scores",), ERROR, "score must be between 0 and 100"),
)}

# The rules that keep real exports honest (issue #13): the quarantine cascade (schemas.quarantine),
# plausibility against the last load, and the checks and date readings a mapping declares.
RULES.update({r.id: r for r in (
    Rule("REF-QUARANTINED", tuple(t for t in c.LOAD_ORDER if any(
        col in c.TABLES[t].column_names and t != parent
        for parent, col in (("projects", "project_id"), ("resources", "resource_id"), ("benefits", "benefit_id")))),
         ERROR, "(quarantine only) the row's parent row was itself quarantined, so the row is set aside too"),
    Rule("PRJ-BUDGET-JUMP", ("projects",), WARNING, "budget_at_completion differs from the value loaded last time "
         "for the same project by a factor of 10 or more (a unit slip such as £m read as £)"),
    Rule("MAP-CHECK", c.TABLE_NAMES, WARNING, "a check the mapping declares on a column (its severity as declared)"),
    Rule("MAP-DATE-AMBIGUOUS", c.TABLE_NAMES, WARNING, "a value that two declared date formats read as different dates"),
)})

STALE_DAYS = c.STALE_REPORT_DAYS
BAC_TOLERANCE = c.BAC_TOLERANCE
DAY_HOURS_LIMIT = c.DAY_HOURS_LIMIT

DATABASE = "(already loaded)"


def _ident(name: str) -> str:
    return f'"{name}"'


class Shared:
    """What the states of one check share, made once whichever job asks first: the references no
    parent holds (`State.missing`) and the batch's hours per resource and day (`State.days`).
    They are tables in a database of their own, in memory (`scratch`), which every cursor of the
    connection sees — not in the workspace's, which for a load is the new database file."""

    def __init__(self, con) -> None:
        import uuid

        self.lock = threading.Lock()
        self._made: dict[object, list] = {}  # key -> [its lock, its value or None]
        self.scratch = f"pmo_rules_{uuid.uuid4().hex[:12]}"  # our own name
        con.execute(f"ATTACH ':memory:' AS {self.scratch}")

    def once(self, key, make: Callable[[], object]):
        """What `make()` returns, made by the first job that asks for `key`; a job asking for the
        same key meanwhile waits for it, one asking for another key does not (the day totals of 5 M
        timesheet rows take ~0.3-0.9 s, in which the other worker's references go on)."""
        with self.lock:
            entry = self._made.setdefault(key, [threading.Lock(), None])
        with entry[0]:
            if entry[1] is None:
                entry[1] = make()
            return entry[1]

    def close(self, con) -> None:
        """Drop what the rules shared."""
        con.execute(f"DETACH DATABASE IF EXISTS {self.scratch}")
        self._made.clear()


class State:
    """The tables as they will be after the load: the batch's where it has them, else the loaded ones.

    `batch` and `loaded` name, per contract table, the relation that holds it (batch tables carry
    _file and _row; loaded ones only the contract columns). Every name comes from the contract.
    Findings go into `into` (the finding columns, then the number of the job that found them:
    `job`, set by whoever runs the jobs, so that jobs run side by side still come out in order)."""

    def __init__(self, con, batch: dict[str, str], loaded: dict[str, str], into: str, load_date: date,
                 shared: Shared):
        self.con, self.batch, self.loaded, self.into, self.load_date = con, batch, loaded, into, load_date
        # The load date, for every rule that needs it, without a parameter per statement.
        con.execute("SET VARIABLE pmo_load_date = ?::DATE", [load_date])
        self.shared = shared  # dropped by its owner (Shared.close) when every state is done
        self.job = 0

    def missing(self, child: str, col: str, parent: str, key: str) -> tuple[str, int]:
        """The distinct values of child.col that no parent.key holds, as a table (its column
        `_v`), and how many there are — found once for the REF-* rule and the look-alike check
        that both need them: at 5 M timesheet rows each such pass costs ~0.07 s. The child's
        distinct values first, then those the parent lacks: probing every child row against the
        parent costs 2-3x as much."""
        if (child, col) == ("timesheets", "resource_id") and child in self.batch:
            rows = self.days()  # the same resources, from ~a third as many rows
        else:
            rows = self.get(child)

        def make() -> tuple[str, int]:
            known = self.get(parent)
            name = f"{self.shared.scratch}._missing_{child}_{col}"
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT d._v FROM (SELECT DISTINCT {col} AS _v "
                             f"FROM {rows} WHERE {col} IS NOT NULL) AS d WHERE NOT EXISTS (SELECT 1 FROM {known} "
                             f"AS p WHERE p.{key} = d._v)")
            # fetchall: a result left unfinished would keep the connection from registering a function.
            return name, self.con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]

        return self.shared.once(("missing", child, col, parent, key), make)

    def days(self) -> str:
        """The batch's timesheets summed per resource and day (resource_id, work_date, hours), made
        once for the rules that read them so: the days over the limit (TS-DAY-TOTAL), each
        resource's first and last day (TS-OUTSIDE-EMPLOYMENT), the resources (REF-RESOURCE). At 5 M
        rows the one aggregation costs what the day totals alone did; the other two read ~1.5 M
        days instead of the rows: 0.2 s of CPU less."""
        def make() -> str:
            name = f"{self.shared.scratch}._days"
            self.con.execute(f"CREATE TABLE {name} AS SELECT resource_id, work_date, sum(hours) AS hours "
                             f"FROM {self.batch['timesheets']} GROUP BY resource_id, work_date")
            return name

        return self.shared.once("days", make)

    def in_batch(self, *tables: str) -> bool:
        return any(t in self.batch for t in tables)

    def get(self, table: str) -> str | None:
        """The table as a relation with its rows numbered in order (_rid), or None."""
        name = self.batch.get(table) or self.loaded.get(table)
        return None if name is None else f"(SELECT *, rowid AS _rid FROM {name})"

    def located(self, table: str) -> bool:
        """Whether the rows of `table` name their file and row (they come from the batch)."""
        return table in self.batch

    def emit(self, rule: str, table: str, column: str | None, rows: str, *, text: str | None = None,
             message: str | None = None, value: str | None = None, located: bool,
             project: str | None = "project_id", order: str = "_rid") -> None:
        """One finding per row of `rows`: the message is `text`, or the SQL expression `message`;
        `value` (default: the column) and `project` are SQL over the rows; file and row are the
        rows' own when `located`, else "(already loaded)"."""
        value = value if value is not None else (_ident(column) if column else "NULL")
        file_, row = ("_file", "_row") if located else (f"'{DATABASE}'", "NULL::BIGINT")
        params = {"rule": rule, "severity": RULES[rule].severity, "table": table, "column": column}
        if text is not None:
            message, params["text"] = "$text::VARCHAR", text
        self.con.execute(
            f"INSERT INTO {self.into} SELECT $rule::VARCHAR, $severity::VARCHAR, $table::VARCHAR, {message}, {file_}, "
            f"{row}, $column::VARCHAR, "
            f"CAST({value} AS VARCHAR), {project or 'NULL'}, {int(self.job)} FROM {rows} ORDER BY {order}", params)


ON = "getvariable('pmo_load_date')"


def _active(projects: str) -> str:
    """The active projects on the load date (CONTRACT §3), as a WHERE condition over `projects`."""
    excluded = ", ".join(f"'{s}'" for s in c.EXCLUDED_STAGES)
    return (f"(SELECT * FROM {projects} WHERE stage NOT IN ({excluded}) AND start_date <= {ON} "
            f"AND (actual_finish_date IS NULL OR actual_finish_date > {ON}))")


def _reference(state: State, child: str, col: str, parent: str, parent_col: str, rule: str) -> None:
    if not state.in_batch(child, parent):
        return
    rows = state.get(child)
    if rows is None:
        return
    if state.get(parent):
        missing, count = state.missing(child, col, parent, parent_col)
        if not count:
            return  # every reference matches: the child's rows are not read again
        orphans = f"(SELECT * FROM {rows} AS r WHERE r.{col} IN (SELECT _v FROM {missing}))"
    else:
        orphans = f"(SELECT * FROM {rows} AS r WHERE r.{col} IS NOT NULL)"
    has_project = "project_id" in c.TABLES[child].column_names
    if child in state.batch:
        state.emit(rule, child, col, orphans, text=f"{col} is not in {parent}", located=True,
                   project="project_id" if has_project else None)
    else:
        # Rows already loaded that this batch's new parent table no longer covers: one finding per id.
        counts = f"(SELECT {col}, count(*) AS n FROM {orphans} GROUP BY {col})"
        state.emit(rule, child, col, counts, located=False, order=col,
                   message=f"n || ' loaded {child} row(s) refer to this {col}, which the new {parent} no longer has'",
                   project="project_id" if col == "project_id" else None)


def _date(expr: str) -> str:
    return f"CAST({expr} AS VARCHAR)"


def cross_table_jobs() -> list[Callable[[State], None]]:
    """Every rule that one row alone cannot break, as jobs over a `State`, in report order. Each
    job stands alone (only `State.missing` is shared, and it is made once for all), so
    `check_tables` runs them two at a time."""
    jobs: list[Callable[[State], None]] = []
    for child in RULES["REF-PROJECT"].tables:
        jobs.append(partial(_reference, child=child, col="project_id", parent="projects", parent_col="project_id",
                            rule="REF-PROJECT"))
    for child in RULES["REF-RESOURCE"].tables:
        jobs.append(partial(_reference, child=child, col="resource_id", parent="resources", parent_col="resource_id",
                            rule="REF-RESOURCE"))
    jobs.append(partial(_reference, child="benefit_measurements", col="benefit_id", parent="benefits",
                        parent_col="benefit_id", rule="REF-BENEFIT"))
    return jobs + [_objectives, _projects_on_the_load_date, _percent_drops, _stale_reports, _future_reports,
                   _future_milestones, _negative_actuals, _budget_mismatch, _day_totals, _outside_employment,
                   _gate_milestones]


def _objectives(state: State) -> None:
    projects = state.get("projects")
    if state.in_batch("projects", "strategic_objectives") and projects is not None:
        objectives = state.get("strategic_objectives")
        rows = (f"(SELECT * FROM {projects} AS p WHERE p.strategic_objective_id IS NOT NULL"
                + (f" AND NOT EXISTS (SELECT 1 FROM {objectives} AS o WHERE o.objective_id = p.strategic_objective_id))"
                   if objectives else ")"))
        state.emit("PRJ-OBJECTIVE", "projects", "strategic_objective_id", rows, located=state.located("projects"),
                   text="strategic_objective_id is not in strategic_objectives")


def _projects_on_the_load_date(state: State) -> None:
    if "projects" not in state.batch:
        return
    projects, iso = state.get("projects"), state.load_date.isoformat()
    state.emit("PRJ-FUTURE-FINISH", "projects", "actual_finish_date",
               f"(SELECT * FROM {projects} WHERE actual_finish_date > {ON})", located=True,
               value=_date("actual_finish_date"), text=f"actual finish is after the load date {iso}")
    state.emit("PRJ-NO-PM", "projects", "project_manager",
               f"(SELECT * FROM {_active(projects)} WHERE project_manager IS NULL)", located=True,
               text="active project has no project manager")


def _percent_drops(state: State) -> None:
    if "status_reports" not in state.batch:
        return
    previous = ("last_value(percent_complete IGNORE NULLS) OVER (PARTITION BY project_id ORDER BY report_date "
                "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)")
    rows = (f"(SELECT * FROM (SELECT *, {previous} AS _previous FROM {state.get('status_reports')}) "
            f"WHERE percent_complete < _previous)")
    state.emit("STS-PCT-DROP", "status_reports", "percent_complete", rows,
               message=f"'percent complete fell from ' || {float_text('_previous')} || "
                       "' in the project''s previous report'",
               value=float_text("percent_complete"), located=True)


def _future_milestones(state: State) -> None:
    if "milestones" in state.batch:
        state.emit("MS-FUTURE-ACTUAL", "milestones", "actual_date",
                   f"(SELECT * FROM {state.get('milestones')} WHERE actual_date > {ON})", located=True,
                   value=_date("actual_date"), text=f"actual date is after the load date {state.load_date.isoformat()}")


def _negative_actuals(state: State) -> None:
    if "financials" in state.batch:
        state.emit("FIN-NEGATIVE-ACTUAL", "financials", "actual_cost",
                   f"(SELECT * FROM {state.get('financials')} WHERE actual_cost < 0)", located=True,
                   value=float_text("actual_cost"), text="actual cost is negative (a credit)")


def _round2(expr: str) -> str:
    """Rounded to 2 decimals the way the report always rounded (x·100 rounded, ÷100)."""
    return f"(round(({expr}) * 100.0) / 100.0)"


def _stale_reports(state: State) -> None:
    projects = state.get("projects")
    if not state.in_batch("status_reports", "projects") or projects is None:
        return
    reports = state.get("status_reports")
    located = state.located("status_reports")
    pos = ", arg_max(_file, report_date) AS _file, arg_max(_row, report_date) AS _row" if located else ""
    latest = (f"(SELECT project_id, max(report_date) AS report_date{pos} FROM {reports} "
              f"WHERE report_date <= {ON} GROUP BY project_id)") if reports else \
        "(SELECT NULL::VARCHAR AS project_id, NULL::DATE AS report_date)"
    active = f"(SELECT DISTINCT project_id FROM {_active(projects)} WHERE project_id IS NOT NULL)"
    file_ = "l._file" if located else f"'{DATABASE}'"
    row = "l._row" if located else "NULL::BIGINT"
    rows = (f"(SELECT a.project_id, l.report_date, CASE WHEN l.report_date IS NULL THEN NULL ELSE {file_} END AS _file, "
            f"{row} AS _row FROM {active} AS a LEFT JOIN {latest} AS l USING (project_id) "
            f"WHERE l.report_date IS NULL OR l.report_date < {ON} - INTERVAL {STALE_DAYS} DAY)")
    age = f"date_diff('day', report_date, {ON})"
    message = (f"CASE WHEN report_date IS NULL THEN 'project ' || project_id || ' has no status report' "
               f"ELSE 'latest status report of project ' || project_id || ' is ' || {age} || ' days old (more than {STALE_DAYS})' END")
    state.emit("STS-STALE", "status_reports", "report_date", rows, message=message, value=_date("report_date"),
               located=True, order="project_id")


def _future_reports(state: State) -> None:
    if "status_reports" not in state.batch:
        return
    iso = state.load_date.isoformat()
    state.emit("STS-FUTURE-REPORT", "status_reports", "report_date",
               f"(SELECT * FROM {state.get('status_reports')} WHERE report_date > {ON})", located=True,
               value=_date("report_date"),
               text=f"report date is after the load date {iso} (a mistyped year?); it does not set the "
                    "default as-of month")


def _budget_mismatch(state: State) -> None:
    projects = state.get("projects")
    if not state.in_batch("financials", "projects") or projects is None or state.get("financials") is None:
        return
    located = state.located("projects")
    pos = ", p._file, p._row" if located else ""
    rows = (f"(SELECT p.project_id, p.budget_at_completion, t._planned, p._rid{pos} FROM {projects} AS p JOIN "
            f"(SELECT project_id, sum(planned_cost) AS _planned FROM {state.get('financials')} GROUP BY project_id) AS t "
            f"USING (project_id) WHERE abs(t._planned - p.budget_at_completion) > {BAC_TOLERANCE} * abs(p.budget_at_completion))")
    planned, bac = float_text(_round2("_planned")), float_text(_round2("budget_at_completion"))
    # Reported on the project's row: that is where budget_at_completion lives.
    state.emit("FIN-BAC", "financials", "planned_cost", rows, located=located, value=planned,
               message=f"'project ' || project_id || ': total planned cost ' || {planned} || "
                       f"' differs from budget at completion ' || {bac} || ' by more than {share(BAC_TOLERANCE, '.0f')}'")


def _day_totals(state: State) -> None:
    if "timesheets" not in state.batch:
        return
    ts = state.get("timesheets")
    # The days over the limit first, from sums alone; then the first file, row and project of
    # those few days. Carried through every resource and day (12 M groups in a 25 M-row batch),
    # they cost the aggregation five times as much, and its memory.
    over = f"(SELECT resource_id, work_date FROM {state.days()} WHERE hours > {DAY_HOURS_LIMIT})"
    rows = (f"(SELECT t.resource_id, t.work_date, sum(t.hours) AS _total, arg_min(t._file, t._rid) AS _file, "
            f"min(t._row) AS _row, arg_min(t.project_id, t._rid) AS project_id FROM {ts} AS t JOIN {over} AS o "
            f"ON t.resource_id IS NOT DISTINCT FROM o.resource_id AND t.work_date IS NOT DISTINCT FROM o.work_date "
            f"GROUP BY t.resource_id, t.work_date)")
    total = float_text(_round2("_total"))
    state.emit("TS-DAY-TOTAL", "timesheets", "hours", rows, located=True, value=total, order="_row",
               message=f"'resource ' || resource_id || ' logged ' || {total} || ' hours on ' || CAST(work_date AS VARCHAR) "
                       f"|| ' (more than {DAY_HOURS_LIMIT})'")


def _outside_employment(state: State) -> None:
    if "timesheets" not in state.batch:
        if "resources" in state.batch and state.get("timesheets") is not None:
            _loaded_outside_employment(state)
        return
    if state.get("resources") is None:
        return
    ts = state.get("timesheets")
    # The resources whose first or last day logged falls outside their employment first, from each
    # resource's span of work dates; then the rows of those few resources.
    spans = (f"(SELECT resource_id, min(work_date) AS _first, max(work_date) AS _last FROM {state.days()} "
             "GROUP BY resource_id)")
    employed = (f"(SELECT r.resource_id, r.start_date, r.end_date FROM {state.get('resources')} AS r JOIN {spans} AS s "
                f"USING (resource_id) WHERE s._first < r.start_date OR coalesce(s._last > r.end_date, false))")
    rows = (f"(SELECT t.*, r.start_date AS _from, r.end_date AS _to FROM {ts} AS t JOIN {employed} AS r "
            f"USING (resource_id) WHERE t.work_date < r.start_date OR coalesce(t.work_date > r.end_date, false))")
    state.emit("TS-OUTSIDE-EMPLOYMENT", "timesheets", "work_date", rows, located=True, value=_date("work_date"),
               message="'resource ' || resource_id || ' is employed from ' || CAST(_from AS VARCHAR) || ' to ' "
                       "|| coalesce(CAST(_to AS VARCHAR), 'now')")


def _gate_milestones(state: State) -> None:
    """GATE-MILESTONE: a review's milestone exists, is a gate and belongs to the review's project.

    Checked when either table is in the batch: a new milestones extract that drops or un-gates a
    reviewed milestone breaks the reviews already loaded (reported as "(already loaded)")."""
    reviews, milestones = state.get("gate_reviews"), state.get("milestones")
    if reviews is None or not state.in_batch("gate_reviews", "milestones"):
        return
    known = (f"(SELECT milestone_id AS _ms, project_id AS _ms_project, is_gate AS _ms_gate FROM {milestones})"
             if milestones else
             "(SELECT NULL::VARCHAR AS _ms, NULL::VARCHAR AS _ms_project, NULL::BOOLEAN AS _ms_gate WHERE false)")
    rows = (f"(SELECT r.*, m._ms, m._ms_project, m._ms_gate FROM {reviews} AS r LEFT JOIN {known} AS m "
            f"ON m._ms = r.milestone_id WHERE r.milestone_id IS NOT NULL AND (m._ms IS NULL "
            f"OR m._ms_project IS DISTINCT FROM r.project_id OR NOT coalesce(m._ms_gate, false)))")
    message = ("CASE WHEN _ms IS NULL THEN 'milestone_id is not in milestones' "
               "WHEN _ms_project IS DISTINCT FROM project_id THEN 'milestone belongs to project ' || "
               "coalesce(_ms_project, '(none)') || ', not ' || coalesce(project_id, '(none)') "
               "ELSE 'milestone is not a gate (is_gate is not true)' END")
    state.emit("GATE-MILESTONE", "gate_reviews", "milestone_id", rows, message=message,
               located=state.located("gate_reviews"))


def _loaded_outside_employment(state: State) -> None:
    """A batch of resources without timesheets: the timesheets already loaded, against the new
    employment dates (CONTRACT §2: the database as it will be after the load). One finding per
    resource, since those rows have no file of this batch."""
    ts = state.get("timesheets")
    rows = (f"(SELECT t.resource_id, count(*) AS _n, min(t.work_date) AS _first, max(t.work_date) AS _last, "
            f"arg_min(t.project_id, t.work_date) AS project_id, r.start_date AS _from, r.end_date AS _to "
            f"FROM {ts} AS t JOIN {state.get('resources')} AS r USING (resource_id) "
            f"WHERE t.work_date < r.start_date OR coalesce(t.work_date > r.end_date, false) "
            f"GROUP BY t.resource_id, r.start_date, r.end_date)")
    state.emit("TS-OUTSIDE-EMPLOYMENT", "timesheets", "work_date", rows, located=False, order="resource_id",
               value="CAST(_first AS VARCHAR) || CASE WHEN _last > _first THEN '…' || CAST(_last AS VARCHAR) ELSE '' END",
               message="_n || ' loaded timesheet row(s) of resource ' || resource_id || ' fall outside the new "
                       "employment from ' || CAST(_from AS VARCHAR) || ' to ' || coalesce(CAST(_to AS VARCHAR), 'now')")
