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
    Setting("dashboard_url", "",
            "The dashboard's address as its readers open it (https://pmo.example.org). Digests, alerts and "
            "chase lists link to the exact view there; empty: messages carry no links."),
    Setting("subscriptions_file", "",
            "A TOML file of [subscriptions.NAME] tables, read besides those in secrets.toml and the app-state "
            "store. Webhook addresses may not be written in it (use teams_env / slack_env)."),
    Setting("mail_from", "",
            "The From address of digests, packs, alerts and chase lists sent by e-mail."),
    Setting("smtp_host", "localhost", "The mail server that e-mail subscriptions are sent through."),
    Setting("smtp_port", 0,
            "Its port; 0 takes the usual one for smtp_security (587 starttls, 465 ssl, 25 none)."),
    Setting("smtp_security", "starttls",
            "starttls, ssl or none. none (no encryption) is allowed only for a server on this machine "
            "(localhost). The login is [smtp] username and password in secrets.toml, or PMO_SMTP_USERNAME "
            "and PMO_SMTP_PASSWORD."),
    Setting("smtp_ca_file", "",
            "A PEM file of the certificate authorities the mail server's certificate is checked against "
            "(a company CA); empty: the system's."),
    Setting("send_timeout_seconds", 30,
            "Seconds to wait for the mail server or a webhook before counting the attempt as failed."),
    Setting("send_attempts", 4,
            "Attempts per message when the server cannot be reached or answers 'try again later'; the "
            "other subscribers are served between attempts."),
    Setting("send_retry_ms", 5000,
            "Wait before the second attempt, in milliseconds; it doubles before each further one."),
    Setting("send_claim_timeout_seconds", 900,
            "A send claimed by a run on another machine that has not finished after this many seconds is "
            "taken over (a run on this machine whose process is gone is taken over at once)."),
    Setting("selection_weights", "strategic_alignment=3 priority=2 benefit_ratio=3 risk=2",
            "The criteria a candidate project's score is built from, with their weights (criterion=weight, "
            "separated by spaces): the built-in strategic_alignment, priority, benefit_ratio and risk, or "
            "any criterion that project_scores names (CONTRACT §7)."),
    Setting("selection_time_limit_seconds", 20,
            "Seconds the what-if page and `select` give the solver to prove a selection optimal; past it "
            "they show the best selection found, said to be not proven optimal. 0: no limit."),
    Setting("archive_keep_loads", 30,
            "The archive keeps the raw files of at least the last this many published loads (0: only those "
            "of the last archive_keep_months months). A load that never published keeps none."),
    Setting("archive_keep_months", 3,
            "… and of every load published in the last this many calendar months, this one included; "
            "older copies are removed after each load."),
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
    dashboard_url: str
    subscriptions_file: str
    mail_from: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_ca_file: str
    send_timeout_seconds: int
    send_attempts: int
    send_retry_ms: int
    send_claim_timeout_seconds: int
    selection_weights: str
    selection_time_limit_seconds: int
    archive_keep_loads: int
    archive_keep_months: int

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
