"""`python -m pmo_metrics config`: every effective setting, and where its value came from.

The app and every command read the settings through `settings.resolve_settings`, so what this prints
is what they use when started with the same environment in the same folder. Passwords in URLs are
masked.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Mapping, TextIO

from .settings import SETTINGS, masked, resolve_settings

EXIT_INPUT = 2


def add_config_command(subparsers) -> argparse.ArgumentParser:
    """Add `config` to `subparsers` (from `parser.add_subparsers()`)."""
    p = subparsers.add_parser("config", help="print every effective setting and where it came from")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=run_config)
    return p


def run_config(args: argparse.Namespace, *, environ: Mapping[str, str] | None = None, secrets_files=None,
               out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Print the settings; exit 2 with one line naming the variable when one is malformed."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        settings, sources = resolve_settings(environ, secrets_files=secrets_files)
    except ValueError as exc:
        print(f"error: the settings are invalid: {exc}", file=err)
        return EXIT_INPUT
    rows = [{"setting": s.name, "value": masked(getattr(settings, s.name)), "from": sources[s.name],
             "environment variable": s.env_var} for s in SETTINGS]
    for row in rows:   # an empty store URL means a file beside the database: say which
        if row["setting"] == "app_state_url" and not row["value"]:
            row["value"] = f"(empty: {masked(settings.store_url)})"
    if args.format == "json":
        print(json.dumps(rows, indent=2), file=out)
        return 0
    width = max(len(r["setting"]) for r in rows)
    vwidth = min(48, max(len(r["value"]) for r in rows))
    print(f"{'setting'.ljust(width)}  {'value'.ljust(vwidth)}  from", file=out)
    for r in rows:
        print(f"{r['setting'].ljust(width)}  {r['value'].ljust(vwidth)}  {r['from']}", file=out)
    return 0
