"""`python -m pmo_metrics …`: the product driven from a script (CONTRACT §5).

Every command takes `--db PATH` and, on failure, exits non-zero with a one-line reason on stderr:
1 the data broke a rule (the report says which), 2 the input cannot be used at all (missing path,
malformed mapping, unreadable file or database), 3 another load is running, 4 anything else went
wrong (a full disk, say) — in every case the database is left as it was.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .config_cli import add_config_command
from .db import DEFAULT_DB, DatabaseError
from .findings import BatchError
from .logs import configure_logging

EXIT_RULES, EXIT_INPUT, EXIT_BUSY, EXIT_FAILED = 1, 2, 3, 4


class Failure(Exception):
    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code


def _month(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month in the form YYYY-MM")
    return text


class _Progress:
    """Progress on stderr: a rewritten line on a terminal, a line per step otherwise."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last = None
        self.t0 = time.monotonic()

    def __call__(self, message: str, fraction: float) -> None:
        pause_at = os.environ.get("PMO_PAUSE_AT")
        if pause_at and message.startswith(pause_at):
            # Fault injection for the kill tests: hold still at a named step until killed.
            sys.stderr.write(f"paused at {message}\n")
            sys.stderr.flush()
            while True:
                time.sleep(3600)
        if self.quiet or message == self.last:
            return
        self.last = message
        line = f"[{fraction * 100:5.1f} %] {time.monotonic() - self.t0:6.1f} s  {message}"
        if self.tty:
            sys.stderr.write("\r" + line.ljust(72))
            if fraction >= 1:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _write_report(report, path: str | None) -> None:
    if path:
        report.write_csv(path)


def _show(args, report, head: dict) -> None:
    """The report on stdout: as text (limited), or with --format json as one JSON document."""
    if args.format == "json":
        report.write_json(sys.stdout, head)
        return
    more = (f"the full list is in {args.report_csv}" if args.report_csv
            else "--all prints every one; --report-csv FILE writes them to a file")
    print(report.render(None if args.all else args.limit, more))


@contextmanager
def _json_failure(args, command: str, busy: type[Exception] | None = None):
    """With --format json, a batch that cannot be read is a JSON document on stdout too ("failed"),
    and so is a load refused because another holds the database (`busy`: "busy", try again)."""
    try:
        yield
    except Exception as exc:
        failed = isinstance(exc, (BatchError, DatabaseError))
        if args.format == "json" and (failed or (busy is not None and isinstance(exc, busy))):
            print(json.dumps({"command": command, "batch": str(args.batch), "status": "failed" if failed else "busy",
                              "message": str(exc).splitlines()[0]}, indent=1))
        raise


def cmd_demo(args) -> int:
    from .demo import generate_demo
    counts = generate_demo(args.out, scale=args.scale, seed=args.seed, end_month=args.end_month,
                           progress=_Progress(args.quiet))
    print(f"wrote a {args.scale} demo batch to {args.out}: "
          + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    if args.history > 1:
        from .demo_history import generate_demo_history, history_dir  # numpy and polars, only for --history
        folders = generate_demo_history(history_dir(args.out), args.scale, args.seed, args.end_month, args.history)
        print(f"wrote the month-end extracts of {len(folders)} earlier month(s) to {history_dir(args.out)}: "
              f"load them oldest first, then {args.out}")
    return 0


def cmd_validate(args) -> int:
    from .warehouse import validate_batch
    with _json_failure(args, "validate"):
        batch, report = validate_batch(args.batch, args.mapping, args.db, progress=_Progress(args.quiet))
        batch.close()
    _write_report(report, args.report_csv)
    _show(args, report, {"command": "validate", "batch": str(args.batch),
                         "status": "valid" if report.ok else "invalid", "ok": report.ok})
    if not report.ok:
        raise Failure(f"{report.n_errors:,} error(s) in {args.batch}; nothing was written", EXIT_RULES)
    return 0


def cmd_load(args) -> int:
    from .warehouse import LoadBusy, load_batch
    try:
        with _json_failure(args, "load", busy=LoadBusy):
            result = load_batch(args.batch, args.db, args.mapping, quarantine=args.quarantine,
                                progress=_Progress(args.quiet), wait_seconds=args.wait,
                                replace_corrupt=args.replace_corrupt)
    except LoadBusy as exc:
        raise Failure(str(exc), EXIT_BUSY) from None
    _write_report(result.report, args.report_csv)
    _show(args, result.report, {"command": "load", "batch": str(args.batch), "status": result.status,
                                "ok": result.ok, "load_id": result.load_id, "message": result.message,
                                "rows_loaded": result.rows_loaded, "rows_rejected": result.rows_rejected})
    if args.format != "json":
        print(result.message)
    if result.status == "rejected":
        raise Failure(f"{result.message}; the database is unchanged", EXIT_RULES)
    return 0


def cmd_rebuild(args) -> int:
    from .warehouse import LoadBusy, rebuild_marts
    try:
        rebuild_marts(args.db, wait_seconds=args.wait)
    except LoadBusy as exc:
        raise Failure(str(exc), EXIT_BUSY) from None
    print(f"rebuilt the KPI marts of {args.db}")
    return 0


def _filters(args):
    from .filters import Filters
    return Filters(as_of=args.as_of, portfolios=tuple(args.portfolio or ()), programs=tuple(args.program or ()),
                   business_units=tuple(args.business_unit or ()), objectives=tuple(args.objective or ()),
                   departments=tuple(args.department or ()))


def cmd_kpis(args) -> int:
    from . import coverage
    from .db import open_readonly, cursor_for
    from .kpis import compute_kpis, default_as_of
    from .metrics import METRICS, format_value
    con = open_readonly(args.db)
    try:
        cur = cursor_for(con)
        filters = _filters(args)
        if filters.as_of:   # a month outside the data is refused, not answered with the last month's figures
            coverage.check_month(cur, filters.as_of)
        as_of = filters.as_of or default_as_of(cur)
        if as_of is None:
            raise Failure(f"{args.db} holds no data to compute KPIs from; load a batch first")
        values = compute_kpis(cur, filters)
    finally:
        con.close()
    if args.format == "json":
        print(json.dumps({"as_of": as_of, **values}, indent=2, allow_nan=False))  # strict JSON: never Infinity
    else:
        width = max(len(m.label) for m in METRICS.values())
        print(f"KPIs as of {as_of}")
        for mid, metric in METRICS.items():
            print(f"  {metric.label.ljust(width)}  {format_value(mid, values.get(mid)):>14}   {mid}")
    return 0


def cmd_months(args) -> int:
    from . import coverage
    from .db import cursor_for, open_readonly
    con = open_readonly(args.db)
    try:
        print("\n".join(coverage.months(cursor_for(con))))
    finally:
        con.close()
    return 0


def cmd_report(args) -> int:
    from .report import write_report
    store = _notes_store(args.db)
    try:
        path = write_report(args.db, args.as_of, args.out, previous=args.previous, filters=_filters(args),
                            store=store)
    finally:
        if store is not None:
            store.close()
    print(f"wrote {path}")
    return 0


def _notes_store(db: Path):
    """The app-state store whose notes go into the pack: the app_state_url setting, else the SQLite
    file beside the database when the dashboard has made one (a pack is never the reason one is made)."""
    from .settings import load_settings

    settings = load_settings(database_path=str(db))
    url = settings.store_url
    if not settings.app_state_url and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    from .appstate import AppState

    return AppState.open(url)


class _Parser(argparse.ArgumentParser):
    """Usage mistakes end like every other failure: one line on stderr (the usage stays in --help)."""

    def error(self, message: str):
        self.exit(EXIT_INPUT, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m pmo_metrics", description="PMO analytics: load extracts, check them, compute KPIs.")
    parser.add_argument("--version", action="version", version=f"pmo-metrics {__version__}")
    common = _Parser(add_help=False)
    common.add_argument("--db", type=Path, default=None,
                        help=f"warehouse file (default: the database_path setting, PMO_DB, else {DEFAULT_DB})")
    common.add_argument("--quiet", action="store_true", help="no progress lines")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("demo", parents=[common], help="write a realistic demo batch")
    p.add_argument("--scale", choices=["small", "enterprise", "enterprise-xl"], default="small",
                   help="small (60 projects), enterprise (5,000 projects, ~5 M timesheet rows) or "
                        "enterprise-xl (24,000 projects, ~25 M)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--end-month", type=_month, default=None, help="last month with data (default: last month)")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--history", type=int, default=1, metavar="MONTHS",
                   help="also write the month-end extracts (projects, objectives, status reports, milestones) of "
                        "the MONTHS − 1 months before the end month into OUT-history/, one folder a month: loaded "
                        "oldest first and OUT last, the warehouse holds MONTHS monthly snapshots (default 1: none)")
    p.set_defaults(func=cmd_demo)

    for name, func, helptext in (("validate", cmd_validate, "check a batch against the rules; writes nothing"),
                                 ("load", cmd_load, "validate and load a batch, all or nothing")):
        p = sub.add_parser(name, parents=[common], help=helptext)
        p.add_argument("batch", help="folder, .xlsx workbook or mapping's folder")
        p.add_argument("--mapping", type=Path, help="TOML mapping for exports in another shape")
        p.add_argument("--limit", type=int, default=200, help="findings to print (default 200)")
        p.add_argument("--all", action="store_true", help="print every finding")
        p.add_argument("--report-csv", help="write every finding to this CSV file")
        p.add_argument("--format", choices=["text", "json"], default="text",
                       help="json: the report as one JSON document on stdout (every finding, errors first)")
        if name == "load":
            p.add_argument("--quarantine", action="store_true", help="load the valid rows, set the rejected ones aside")
            p.add_argument("--wait", type=float, default=30.0, help="seconds to wait for a running load (default 30)")
            p.add_argument("--replace-corrupt", action="store_true",
                           help="if the database file is unreadable, set it aside and build a new one")
        p.set_defaults(func=func)

    p = sub.add_parser("rebuild", parents=[common], help="rebuild the KPI marts after an upgrade")
    p.add_argument("--wait", type=float, default=30.0, help="seconds to wait for a running load (default 30)")
    p.set_defaults(func=cmd_rebuild)

    def add_filters(p):
        p.add_argument("--as-of", type=_month, help="month YYYY-MM (default: month of the latest status report)")
        p.add_argument("--portfolio", action="append", help="repeat for several")
        p.add_argument("--program", action="append")
        p.add_argument("--business-unit", action="append")
        p.add_argument("--objective", action="append", help="strategic objective id")
        p.add_argument("--department", action="append", help="for resource KPIs")

    p = sub.add_parser("months", parents=[common], help="list the months the database has data for")
    p.set_defaults(func=cmd_months)

    p = sub.add_parser("kpis", parents=[common], help="print every KPI",
                       epilog="`python -m pmo_metrics months` lists the months with data; an --as-of outside "
                              "them is refused (exit 2).")
    add_filters(p)
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.set_defaults(func=cmd_kpis)

    for name, (_, helptext) in DELEGATED.items():   # listed here; parsed by their own modules (see main)
        sub.add_parser(name, help=helptext, add_help=False)

    p = sub.add_parser("report", parents=[common], help="write the monthly performance pack")
    add_filters(p)
    p.add_argument("--previous", type=_month, help="month to compare with (default: the month before)")
    p.add_argument("--out", required=True, help="FILE.pptx or FILE.html")
    p.set_defaults(func=cmd_report)

    add_config_command(sub)
    return parser


# Commands whose modules are heavy to import (the solver; the mail, webhook and app-state stack) and
# bring their own arguments: handed the command line whole, so the other commands stay quick to start.
DELEGATED = {
    "select": ("pmo_metrics.selection_cli",
               "score the candidate projects and print the optimal funded set under a budget (CONTRACT §7)"),
    "send": ("pmo_metrics.distribution.__main__",
             "send the digests, packs, alerts and chase lists that are due (from cron or a systemd timer)"),
}


def _settings():
    """The settings the app reads too (PMO_*, secrets.toml, PMO_CONFIG); a malformed one stops the command."""
    from .settings import load_settings
    try:
        return load_settings()
    except ValueError as exc:
        raise Failure(f"the settings are invalid: {exc}") from None


INTERRUPTED = "interrupted; the database is unchanged"


def _interrupted(exc: BaseException) -> bool:
    """Ctrl-C while DuckDB runs a statement: its client stops the statement and raises an error of
    its own ("Query interrupted"), not KeyboardInterrupt. Known by name, so that the command line
    imports the engine only for the commands that use it."""
    return type(exc).__name__ == "InterruptException" or (
        isinstance(exc, RuntimeError) and str(exc) == "Query interrupted")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in DELEGATED:
        import importlib
        command = argv[0]
        run = lambda: importlib.import_module(DELEGATED[command][0]).main(argv, prog="python -m pmo_metrics")  # noqa: E731
    else:
        args = build_parser().parse_args(argv)
        command = args.command
        run = lambda: args.func(args)  # noqa: E731
    try:
        settings = _settings()
        configure_logging(settings.log_format)
        if command not in DELEGATED and getattr(args, "db", "") is None:   # --db not given: the file the app serves
            args.db = settings.db_path
        return run()
    except Failure as exc:
        code, message = exc.code, str(exc)
    except (BatchError, DatabaseError) as exc:
        code, message = EXIT_INPUT, str(exc)
    except KeyboardInterrupt:
        code, message = 130, INTERRUPTED
    except Exception as exc:  # a disk that fills up, a file that vanishes: one line, not a traceback
        if _interrupted(exc):
            code, message = 130, INTERRUPTED
        else:
            code, message = EXIT_FAILED, f"{command} failed ({type(exc).__name__}: {exc})" + (
                "; the database is unchanged" if command == "load" else "")
    print(f"error: {message.splitlines()[0] if message else 'failed'}", file=sys.stderr)
    return code
