"""`select`: the optimal funded set of a planning round from the command line (CONTRACT §7).
`add_select_command` registers it on a parser's subcommands; `run_select` carries it out and returns
the exit code. On its own: `python -m pmo_metrics.selection_cli select …`.

    select --budget X [--capacity DEPT=HOURS | DEPT=free …] [--free-capacity]
           [--force-in P …] [--force-out P …] [--window YYYY-MM:YYYY-MM]
           [--portfolio P] [--program G] [--business-unit B] [--objective O]
           [--weights "criterion=weight …"] [--time-limit S] [--format json|table] [--db PATH]

Capacity limits are optional. `--capacity IT=1200` limits IT to 1,200 hours over the planning window;
`--capacity IT=free` to IT's free capacity there (capacity − hours allocated to projects that are not
candidates); `--free-capacity` limits every department the candidates need to its free capacity
(explicit `--capacity` values win). The window defaults to the 12 months after the latest
status-report month.

Exit codes: 0 a selection was made (also when there is no candidate, or when the solver ran out of
time — the output says the selection is not proven optimal), 2 the input cannot be used (no
database, malformed or unknown values, weights naming an unknown criterion, a forced set that breaks
a limit — the one line on stderr names it), 4 anything else.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Mapping, TextIO

from . import formatting as fmt
from . import pipeline, scenarios
from .db import DatabaseError, cursor_for, open_readonly
from .filters import Filters
from .marts import MartsMissing
from .selection import Scenario, SelectionError
from .settings import load_settings

EXIT_OK, EXIT_INPUT, EXIT_FAILED = 0, 2, 4
FREE = "free"


class InputError(ValueError):
    """A command-line value that cannot be used."""


def _window(text: str) -> tuple[str, str]:
    first, sep, last = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r} is not a window FIRST:LAST (YYYY-MM:YYYY-MM)")
    try:
        pipeline.window_months((first, last))
    except pipeline.PipelineError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return first, last


def _budget(text: str) -> float:
    try:
        value = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number ≥ 0")
    return value


def add_select_command(subparsers, parents: tuple = ()) -> argparse.ArgumentParser:
    """Add `select` to `subparsers` (from `parser.add_subparsers()`); `parents` may bring --db and
    --quiet, which are added here otherwise."""
    p = subparsers.add_parser("select", parents=list(parents),
                              help="score the candidate projects and print the optimal funded set (CONTRACT §7)")
    options = {o for a in p._actions for o in a.option_strings}
    if "--db" not in options:
        p.add_argument("--db", type=Path, default=None, help="warehouse file (default: the database_path setting)")
    if "--quiet" not in options:
        p.add_argument("--quiet", action="store_true", help="print the funded set only (table format)")
    p.add_argument("--budget", type=_budget, required=True, help="Σ BAC of the funded projects may not exceed this")
    p.add_argument("--capacity", action="extend", nargs="+", default=[], metavar="DEPT=HOURS",
                   help="a department's limit in hours over the planning window, or DEPT=free for its free "
                        "capacity (repeatable; quote names with spaces)")
    p.add_argument("--free-capacity", action="store_true",
                   help="limit every department the candidates need to its free capacity")
    p.add_argument("--force-in", action="extend", nargs="+", default=[], metavar="P", help="fund these projects")
    p.add_argument("--force-out", action="extend", nargs="+", default=[], metavar="P", help="never fund these")
    p.add_argument("--window", type=_window, metavar="FIRST:LAST",
                   help="planning window, YYYY-MM:YYYY-MM (default: the 12 months after the latest report month)")
    p.add_argument("--portfolio", action="append", help="repeat for several")
    p.add_argument("--program", action="append")
    p.add_argument("--business-unit", action="append")
    p.add_argument("--objective", action="append", help="strategic objective id")
    p.add_argument("--weights", help="criterion=weight pairs (default: the selection_weights setting)")
    p.add_argument("--time-limit", type=_budget, metavar="S",
                   help="seconds the solver may take to prove optimality, 0 for no limit (default: selection_time_limit_seconds)")
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.set_defaults(func=run_select)
    return p


def _limits(args, plan: scenarios.Plan) -> dict[str, float]:
    free = {str(d): float(h) for d, h in zip(plan.capacity["department"], plan.capacity["free_hours"])}
    limits = dict(plan.default_limits) if args.free_capacity else {}
    for item in args.capacity:
        dept, sep, hours = item.rpartition("=")
        dept = dept.strip()
        if not sep or not dept:
            raise InputError(f"--capacity {item!r} is not DEPT=HOURS or DEPT=free")
        if dept not in free:
            raise InputError(f"--capacity: {dept} is not a department with resources "
                             f"(known: {', '.join(sorted(free)) or 'none'})")
        if hours.strip().lower() == FREE:
            limits[dept] = free[dept]
            continue
        try:
            limits[dept] = float(hours)
        except ValueError:
            raise InputError(f"--capacity {item!r}: {hours!r} is not a number of hours or 'free'") from None
        if not math.isfinite(limits[dept]):
            raise InputError(f"--capacity {item!r}: the hours must be a number")
    return limits


def _filters(args) -> Filters:
    return Filters(portfolios=tuple(args.portfolio or ()), programs=tuple(args.program or ()),
                   business_units=tuple(args.business_unit or ()), objectives=tuple(args.objective or ()))


def selection_document(plan: scenarios.Plan, outcome: scenarios.Outcome, parts) -> dict[str, Any]:
    """What `select --format json` prints: the scenario, the optimal funded set with its totals, the two
    rankings, and every candidate's score with its weighted part per criterion."""
    by_project = {pid: dict(zip(g["criterion"], g["part"])) for pid, g in parts.groupby("project_id")}
    best = outcome.optimal
    s = outcome.scenario
    return {
        "budget": s.budget, "window": list(plan.window) if plan.window else None, "weights": plan.weights,
        "limits": dict(s.limits), "force_in": list(s.force_in), "force_out": list(s.force_out),
        "optimal": best.optimal, "gap": best.gap, "seconds": round(outcome.seconds, 3),
        "funded": list(best.funded), "total_score": best.total_score, "total_bac": best.total_bac,
        "hours": dict(best.hours),
        "by_score": outcome.by_score.as_dict(), "by_value": outcome.by_value.as_dict(),
        "candidates": [{"project_id": r.project_id, "project_name": r.project_name, "stage": r.stage,
                        "score": float(r.score), "bac": float(r.bac), "funded": r.project_id in best.funded,
                        "parts": {k: float(v) for k, v in by_project.get(r.project_id, {}).items()}}
                       for r in plan.candidates.itertuples(index=False)],
    }


def _print_table(plan: scenarios.Plan, outcome: scenarios.Outcome, parts, out: TextIO, quiet: bool,
                 currency: str) -> None:
    best = outcome.optimal
    if not quiet:
        criteria = list(plan.weights)
        weights = " ".join(f"{c}={fmt.number(w)}" for c, w in plan.weights.items())
        print(f"Scores of {fmt.plural(len(plan.candidates), 'candidate')} (weights {weights})", file=out)
        wide = {pid: dict(zip(g["criterion"], g["part"])) for pid, g in parts.groupby("project_id")}
        head = ["project", "score", *criteria, "BAC", "funded"]
        rows = [[r.project_id, fmt.ratio(r.score, ".1f"),
                 *[fmt.ratio(wide.get(r.project_id, {}).get(c), ".1f") for c in criteria],
                 fmt.money(r.bac, currency), "yes" if r.project_id in best.funded else ""]
                for r in plan.candidates.itertuples(index=False)]
        widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
        for row in [head, *rows]:
            print("  " + "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w)
                                   for i, (v, w) in enumerate(zip(row, widths))), file=out)
        print("  (each criterion's column is its weighted part: weight × criterion score / Σ weights)", file=out)
        print("", file=out)
    label = "Optimal selection" if best.optimal else "Best selection found (not proven optimal)"
    print(f"{label}: {fmt.plural(len(best.funded), 'project')}, total score {fmt.ratio(best.total_score, '.1f')}, "
          f"BAC {fmt.money(best.total_bac, currency)} of a budget of {fmt.money(outcome.scenario.budget, currency)}",
          file=out)
    names = dict(zip(plan.candidates["project_id"], plan.candidates["project_name"]))
    for pid in best.funded:
        print(f"  {pid}  {fmt.text(names.get(pid), 60, empty='')}", file=out)
    for dept, hours in sorted(best.hours.items()):
        print(f"  {dept}: {fmt.hours(hours)} of {fmt.hours(outcome.scenario.limits[dept])}", file=out)
    if not quiet:
        for key in ("by_score", "by_value"):
            s = outcome.selections()[key]
            print(f"{scenarios.METHODS[key]} would fund {fmt.plural(len(s.funded), 'project')}, total score "
                  f"{fmt.ratio(s.total_score, '.1f')}, BAC {fmt.money(s.total_bac, currency)}: "
                  f"{', '.join(s.funded) or 'none'}", file=out)


@contextmanager
def _solver_chatter_to_stderr():
    """HiGHS may write a diagnostic line straight to the process's standard output; while it solves,
    that goes to standard error instead, so what `select --format json` prints stays JSON."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError):   # no file descriptors to move (an embedded interpreter)
        yield
        return
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def run_select(args: argparse.Namespace, *, environ: Mapping[str, str] | None = None, out: TextIO | None = None,
               err: TextIO | None = None) -> int:
    """Carry out `select` as parsed by add_select_command's parser; the exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        settings = load_settings(environ)
        db = args.db if getattr(args, "db", None) is not None else settings.db_path
        weights = args.weights if args.weights is not None else settings.selection_weights
        time_limit = args.time_limit if args.time_limit is not None else settings.selection_time_limit_seconds
        time_limit = float(time_limit) or None    # 0: no limit
        con = open_readonly(db)
        try:
            cur = cursor_for(con)
            filters = _filters(args)
            plan = scenarios.plan(cur, filters, weights, args.window)
            limits = _limits(args, plan)
            with _solver_chatter_to_stderr():
                outcome = scenarios.run(plan, Scenario(args.budget, limits, tuple(args.force_in),
                                                       tuple(args.force_out)),
                                        time_limit=time_limit, currency=settings.currency_symbol)
            parts = pipeline.criteria(cur, filters, weights)
        finally:
            con.close()
    except (InputError, pipeline.PipelineError, SelectionError, DatabaseError, MartsMissing, ValueError) as exc:
        print(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=err)
        return EXIT_INPUT
    except Exception as exc:  # noqa: BLE001 — one line, not a traceback
        print(f"error: select failed ({type(exc).__name__}: {exc})", file=err)
        return EXIT_FAILED
    if plan.candidates.empty:
        print("note: no candidate projects (stage idea, initiation or planning) pass the filters", file=err)
    warning = scenarios.not_proven(outcome)
    if warning:
        print(f"note: {warning}", file=err)
    if args.format == "json":
        print(json.dumps(selection_document(plan, outcome, parts), indent=2), file=out)
    else:
        _print_table(plan, outcome, parts, out, getattr(args, "quiet", False), settings.currency_symbol)
    return EXIT_OK


class _Parser(argparse.ArgumentParser):
    """Usage mistakes end like every other failure: one line on stderr, exit code 2."""

    def error(self, message: str):
        self.exit(EXIT_INPUT, f"error: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None, prog: str = "python -m pmo_metrics.selection_cli") -> int:
    parser = _Parser(prog=prog)
    add_select_command(parser.add_subparsers(dest="command", required=True, parser_class=_Parser))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
