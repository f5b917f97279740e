"""The dashboard with a readiness route, for servers behind a proxy: `streamlit run serve.py`.

`streamlit run` finds the `st.App` below and serves app.py exactly as `streamlit run app.py` would
(the same pages, `.streamlit/config.toml`, secrets and command-line options), plus `/readyz`: the
published database's version, its load and its age as JSON (503 while there is none). Streamlit's
own `/_stcore/health` stays; it says only that the process answers. See docs/deploy.md.
"""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import streamlit as st

from pmo_metrics.health import readiness, store_status
from pmo_metrics.settings import load_settings

_ENGINES: dict = {}   # one small pool per store URL, for the readiness check only


def _store(url: str):
    if url not in _ENGINES:
        import sqlalchemy as sa  # noqa: PLC0415 — only when a monitor asks

        args = {"connect_timeout": 3} if url.startswith("postgresql") else {}
        _ENGINES[url] = sa.create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True, connect_args=args)
    return _ENGINES[url]


async def ready(request: Request) -> JSONResponse:
    try:
        settings = load_settings()
    except ValueError:
        return JSONResponse({"ready": False, "reason": "the settings are invalid (python -m pmo_metrics config)"},
                            status_code=503, headers={"Cache-Control": "no-store"})
    status, body = await run_in_threadpool(readiness, settings.db_path)   # DuckDB blocks: off the event loop
    if settings.app_state_url:   # a shared store (the default SQLite file beside the database is local)
        body["app_state"] = await run_in_threadpool(store_status, _store(settings.app_state_url))
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


app = st.App("app.py", routes=[Route("/readyz", ready, methods=["GET", "HEAD"])])
