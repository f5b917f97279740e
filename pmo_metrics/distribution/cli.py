"""`send`: the command a scheduler runs. `add_send_command` registers it on a parser's
subcommands; `run_send` carries it out and returns the exit code.

    python -m pmo_metrics send [--as-of M] [--dry-run DIR] [--only NAME] [--db PATH]

Exit codes: 0 everything due was sent (or nothing was due), 2 the input cannot be used (no
database, no data for the month, a malformed subscription — the others are still sent), 4 at
least one message could not be delivered. One line per subscriber goes to standard output.
"""
from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path
from typing import Any, Mapping, TextIO

from ..appstate import AppState, AppStateError
from ..db import DatabaseError
from ..marts import MartsMissing
from ..settings import load_settings
from .scheduler import EXIT_INPUT, DistributionError, send_due

# Where Streamlit reads secrets from (the project's file wins over the user's).
SECRETS_FILES = (Path.home() / ".streamlit" / "secrets.toml", Path(".streamlit") / "secrets.toml")


def read_secrets(paths=SECRETS_FILES) -> dict[str, Any]:
    """The secrets as the dashboard sees them: the files merged, later ones winning per section."""
    merged: dict[str, Any] = {}
    for path in paths:
        path = Path(path)
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise DistributionError(f"{path} cannot be read as TOML ({exc})") from None
        merged.update(data)
    return merged


def _month(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month in the form YYYY-MM")
    return text


def add_send_command(subparsers, parents: tuple = ()) -> argparse.ArgumentParser:
    """Add `send` to `subparsers` (from `parser.add_subparsers()`); `parents` may bring --db and
    --quiet, which are added here otherwise."""
    p = subparsers.add_parser("send", parents=list(parents), help="send the digests, packs, alerts and chase "
                              "lists that are due (run it from cron or a systemd timer)")
    options = {o for a in p._actions for o in a.option_strings}
    if "--db" not in options:
        p.add_argument("--db", type=Path, default=None, help="warehouse file (default: the database_path setting)")
    if "--quiet" not in options:
        p.add_argument("--quiet", action="store_true", help="print failures only")
    p.add_argument("--as-of", type=_month, help="the month to send (default: the month of the latest status report)")
    p.add_argument("--dry-run", metavar="DIR", type=Path,
                   help="write every message that is due to DIR (.eml, .json) instead of sending; logs nothing")
    p.add_argument("--only", metavar="NAME", action="append", help="only this subscription (repeat for several)")
    p.set_defaults(func=run_send)
    return p


def run_send(args: argparse.Namespace, *, secrets: Mapping[str, Any] | None = None,
             environ: Mapping[str, str] | None = None, out: TextIO | None = None, err: TextIO | None = None,
             sleep=None) -> int:
    """Carry out `send` as parsed by add_send_command's parser; the exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        settings = load_settings(environ)
        if getattr(args, "db", None) is not None:
            settings = load_settings(environ, database_path=str(args.db))
        secrets = read_secrets() if secrets is None else secrets
        store = AppState.open(settings.store_url)
        try:
            report = send_due(settings.db_path, store, settings, secrets, as_of=args.as_of,
                              dry_run_dir=args.dry_run, only=args.only, environ=environ,
                              **({"sleep": sleep} if sleep else {}))
        finally:
            store.close()
    except (DistributionError, DatabaseError, MartsMissing, AppStateError, ValueError) as exc:
        print(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=err)
        return EXIT_INPUT
    for problem in report.problems:
        print(f"error: {problem}", file=err)
    for notice in report.notices:
        print(f"note: {notice}", file=err)
    for o in report.outcomes:
        if o.failed:
            print(o.line(), file=err)
        elif not getattr(args, "quiet", False):
            print(o.line(), file=out)
    if not getattr(args, "quiet", False) or report.exit_code:
        print(report.summary(), file=out)
    return report.exit_code
