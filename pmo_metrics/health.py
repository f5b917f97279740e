"""Readiness: is there a published database this server can read, which one, and how old is it.

Served as `/readyz` by `serve.py` (beside Streamlit's own `/_stcore/health`, which says only that the
process is up), so a load balancer or a monitor can tell a server that answers but has no data, or
stale data, from one that is ready — and that every server behind the proxy serves the same version.
Whether the app-state store answers is reported beside it (`store_status`): without the store the
dashboard still shows every figure, so it does not make a server unready, but a monitor should say so.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .db import DatabaseError, cursor_for, database_version, open_readonly
from .queries import records


def store_status(engine) -> str:
    """"reachable" when the app-state store answers through `engine`, else "unreachable"."""
    from .appstate import ping  # SQLAlchemy loads only for a server that reports on its store

    return "reachable" if ping(engine) else "unreachable"


def readiness(db_path: str | Path, now: datetime | None = None) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 200 with the published version, its load and its age in seconds, or 503
    with the reason. The body names no path and no secret: it is meant to be reachable by a monitor."""
    now = now or datetime.now(timezone.utc)
    version = database_version(db_path)
    if version is None:
        return 503, {"ready": False, "reason": "no database has been published yet"}
    published = datetime.fromtimestamp(version.mtime_ns / 1e9, timezone.utc)
    try:
        con = open_readonly(db_path)
    except DatabaseError:
        return 503, {"ready": False, "reason": "the published database cannot be opened",
                     "database_version": version.token}
    try:
        try:
            loads = records(cursor_for(con), "views/quality/loads", {"status": "loaded"})   # newest first
        except Exception:  # noqa: BLE001 — a database without a load log (built by an older version)
            loads = []
    finally:
        con.close()
    body: dict[str, Any] = {"ready": True, "database_version": version.token,
                            "published_at": published.isoformat(timespec="seconds"),
                            "age_seconds": round((now - published).total_seconds(), 1)}
    if loads:
        loaded_at = loads[0]["finished_at"].replace(tzinfo=timezone.utc)      # the load log keeps UTC
        body.update(load_id=loads[0]["load_id"], loaded_at=loaded_at.isoformat(timespec="seconds"),
                    load_age_seconds=round((now - loaded_at).total_seconds(), 1))
    return 200, body
