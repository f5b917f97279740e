"""The dashboard's settings: one typed list of (name, default, help), read from the environment.

Every setting can be overridden by an environment variable, `PMO_<NAME>` in capitals (the
database path keeps its short, documented name `PMO_DB`). Theme and server options (port, upload
transport limit) belong to `.streamlit/config.toml`; secrets to `.streamlit/secrets.toml`.
Nothing is read at import time: call `load_settings()`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    env: str = ""

    @property
    def env_var(self) -> str:
        return self.env or f"PMO_{self.name.upper()}"

    @property
    def type(self) -> type:
        return type(self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting("database_path", "data/pmo.duckdb",
            "The DuckDB warehouse the dashboard reads and the upload page loads into.", env="PMO_DB"),
    Setting("app_state_url", "",
            "SQLAlchemy URL of the app-state store (notes, decisions, saved scenarios). Empty: a SQLite "
            "file appstate.sqlite beside the database. Several app servers share one PostgreSQL URL."),
    Setting("demo_dir", "data/demo",
            "Where the demo batch is written when the dashboard starts without a database."),
    Setting("build_demo_when_empty", True,
            "On first start with no database, generate the small demo batch and load it, so the "
            "dashboard has something to show. Turn off in production."),
    Setting("demo_seed", 42, "Seed of the demo batch; the same seed always gives the same data."),
    Setting("cache_max_entries", 256,
            "Most query results kept per cached function (each filter combination is one entry); "
            "older ones are dropped first. Bounds the dashboard's memory."),
    Setting("cache_ttl_seconds", 3600,
            "Seconds a cached query result is kept. A new load never waits for this: results are keyed "
            "by the database version, so fresh data shows on the next click."),
    Setting("max_upload_mb", 200,
            "Largest upload accepted on the Data loads page, in megabytes (keep server.maxUploadSize "
            "in .streamlit/config.toml at least this large)."),
    Setting("table_row_limit", 5000,
            "Rows a table shows on screen; the CSV and Excel downloads always hold every row."),
    Setting("currency_symbol", "",
            "Prefix for money values ('£' shows £1.2 M); empty shows plain numbers in the reporting currency."),
    Setting("quarantine_uploads", False,
            "Default of the Data loads page's 'load the valid rows, set the rejected ones aside' option."),
    Setting("mapping_variables", "*_DB_URL *_DB_USER *_DB_PASSWORD",
            "Environment variables a mapping may name in ${VAR} (names or shell patterns, separated by "
            "spaces or commas). Any other variable is refused, so a mapping cannot read the server's "
            "environment."),
    Setting("upload_database_sources", False,
            "Let mappings uploaded on the Data loads page read databases (kind = \"database\"). Off by "
            "default: such a mapping could otherwise reach any database the server can."),
)

_BY_NAME = {s.name: s for s in SETTINGS}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse(setting: Setting, text: str) -> Any:
    kind = setting.type
    if kind is bool:
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"{setting.env_var}={text!r} is not a yes/no value")
    if kind is int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError(f"{setting.env_var}={text!r} is not a whole number") from None
        if value < 0:
            raise ValueError(f"{setting.env_var}={text!r} must not be negative")
        return value
    return text


@dataclass(frozen=True)
class Settings:
    database_path: str
    app_state_url: str
    demo_dir: str
    build_demo_when_empty: bool
    demo_seed: int
    cache_max_entries: int
    cache_ttl_seconds: int
    max_upload_mb: int
    table_row_limit: int
    currency_symbol: str
    quarantine_uploads: bool
    mapping_variables: str
    upload_database_sources: bool

    @property
    def db_path(self) -> Path:
        return Path(self.database_path)

    @property
    def store_url(self) -> str:
        """The app-state store's URL: the setting, else a SQLite file beside the database."""
        if self.app_state_url:
            return self.app_state_url
        from .appstate import default_url  # SQLAlchemy and Alembic load only when the store is used

        return default_url(self.database_path)


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from their defaults, the environment and explicit overrides (in that order).

    A malformed environment value raises ValueError naming the variable.
    """
    environ = os.environ if environ is None else environ
    values = {}
    for s in SETTINGS:
        value = s.default
        if s.env_var in environ:
            value = _parse(s, environ[s.env_var])
        values[s.name] = value
    for name, value in overrides.items():
        if name not in _BY_NAME:
            raise KeyError(f"unknown setting {name!r}")
        values[name] = value
    return Settings(**values)


def describe_settings() -> list[dict[str, str]]:
    """The settings as rows (name, environment variable, default, help) for docs and the glossary page."""
    return [{"setting": s.name, "environment variable": s.env_var, "default": repr(s.default), "help": s.help}
            for s in SETTINGS]
