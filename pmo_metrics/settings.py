"""The dashboard's settings: one typed list of (name, default, help), read the same way by app and CLI.

Each setting is taken from the first of these that has it:

1. the environment: `PMO_<NAME>` in capitals (the database path keeps its short, documented name
   `PMO_DB`);
2. the `[settings]` table of `.streamlit/secrets.toml` (the project's, else `~/.streamlit/`'s) —
   the place for a value holding a password, such as a PostgreSQL `app_state_url`;
3. the TOML file named by `PMO_CONFIG` (`name = value` lines, one per setting);
4. the default below.

`python -m pmo_metrics config` prints every effective value and where it came from. Theme and server
options (port, upload transport limit) belong to `.streamlit/config.toml`; other secrets (passwords,
logins) to `.streamlit/secrets.toml`. Nothing is read at import time: call `load_settings()`.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    env: str = ""
    choices: tuple[str, ...] = ()   # the values a text setting may take; empty: any

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
    Setting("demo_history_months", 9,
            "Months of history the first-start demo builds: the month-end extracts of projects, status "
            "reports and milestones of the months before the demo batch's last are loaded oldest first and "
            "the batch last, so the monthly snapshots (finish-slip signal, milestone trend, age in stage) "
            "hold that many months. 1 loads the batch alone, the quickest start."),
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
    Setting("log_format", "text",
            "text: logs as Python and Streamlit write them; json: loads and page errors as one JSON object per "
            "line on stderr (event, page, filters, load id, outcome; never secrets), for a log collector.",
            choices=("text", "json")),
    Setting("selection_time_limit_seconds", 20,
            "Seconds the what-if page and `select` give the solver to prove a selection optimal; past it "
            "they show the best selection found, said to be not proven optimal. 0: no limit."),
    # -- early warning (the Forecasts page, the monthly review) ---------------------------------------
    Setting("warning_falling_months", 3,
            "Early warning SPI_T_FALLING: an active project's SPI(t) fell this many months in a row."),
    Setting("warning_slip_moves", 2,
            "Early warning FINISH_SLIPPING: the forecast finish moved later in at least this many of the "
            "last warning_slip_window changes between monthly projects snapshots."),
    Setting("warning_slip_window", 3, "The number of recent snapshot changes FINISH_SLIPPING looks at."),
    Setting("warning_optimism_days", 0,
            "Early warning OPTIMISTIC_FORECAST: the project's own finish forecast is earlier than the "
            "reference-class P50 finish by more than this many days."),
    Setting("warning_gate_days", 45,
            "Early warning GATE_MOVED: a gate milestone not yet passed is due within this many days after "
            "the month's end and its forecast date differs from its baseline."),
    Setting("warning_green_months", 3,
            "Early warning WATERMELON: green in the latest report for at least this many months running, "
            "while the report is stale or SPI or CPI is below warning_index_floor_pct."),
    Setting("warning_index_floor_pct", 90,
            "The SPI and CPI, in hundredths, below which a green project counts as a watermelon (90: 0.90)."),
    Setting("warning_outcome_months", 3,
            "A signal's value is measured on the months of history: did the flagged projects turn red or "
            "miss a milestone within this many months, compared with the unflagged?"),
    Setting("archive_keep_loads", 30,
            "The archive keeps the raw files of at least the last this many published loads (0: only those "
            "of the last archive_keep_months months). A load that never published keeps none."),
    Setting("archive_keep_months", 3,
            "… and of every load published in the last this many calendar months, this one included; "
            "older copies are removed after each load."),
)

_BY_NAME = {s.name: s for s in SETTINGS}
CONFIG_ENV = "PMO_CONFIG"
# Where Streamlit reads secrets from; the project's file wins over the user's.
SECRETS_FILES = (Path.home() / ".streamlit" / "secrets.toml", Path(".streamlit") / "secrets.toml")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse(setting: Setting, text: str, where: str = "") -> Any:
    """The typed value of `text`; ValueError naming the variable (or file and key) when it is not one."""
    name = where or setting.env_var
    kind = setting.type
    if kind is bool:
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"{name}={text!r} is not a yes/no value")
    if kind is int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError(f"{name}={text!r} is not a whole number") from None
        if value < 0:
            raise ValueError(f"{name}={text!r} must not be negative")
        return value
    if setting.choices and text.strip() not in setting.choices:
        raise ValueError(f"{name}={text!r} is not one of {', '.join(setting.choices)}")
    return text.strip() if setting.choices else text


def _coerce(setting: Setting, value: Any, where: str) -> Any:
    """A value from a TOML file: its own type when it has the setting's, else parsed like the environment's."""
    if isinstance(value, str):
        return _parse(setting, value, where)
    kind = setting.type
    if kind is bool and isinstance(value, bool):
        return value
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return _parse(setting, str(value), where)   # the same range check as the environment's
    wanted = {bool: "true or false", int: "a whole number", str: "a string"}[kind]
    raise ValueError(f"{where}={value!r} is not {wanted}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path} cannot be read as TOML ({exc})") from None


def _file_layers(environ: Mapping[str, str], secrets_files) -> list[tuple[str, dict[str, Any]]]:
    """(source label, {name: raw value}) of the config file and the secrets files, lowest precedence first."""
    layers = []
    config = environ.get(CONFIG_ENV)
    if config:
        path = Path(config)
        if not path.is_file():
            raise ValueError(f"{CONFIG_ENV}={config!r}: no such file")
        layers.append((f"config file {path}", _read_toml(path)))
    for path in secrets_files:
        path = Path(path)
        if path.is_file():
            table = _read_toml(path).get("settings", {})
            if not isinstance(table, dict):
                raise ValueError(f"{path}: [settings] must be a table of setting = value")
            layers.append((f"secrets.toml {path}", table))
    for label, table in layers:
        unknown = sorted(set(table) - set(_BY_NAME))
        if unknown:
            raise ValueError(f"{label}: unknown setting {unknown[0]!r} (python -m pmo_metrics config lists them)")
    return layers


@dataclass(frozen=True)
class Settings:
    database_path: str
    app_state_url: str
    demo_dir: str
    build_demo_when_empty: bool
    demo_seed: int
    demo_history_months: int
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
    log_format: str
    selection_time_limit_seconds: int
    warning_falling_months: int
    warning_slip_moves: int
    warning_slip_window: int
    warning_optimism_days: int
    warning_gate_days: int
    warning_green_months: int
    warning_index_floor_pct: int
    warning_outcome_months: int
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


def resolve_settings(environ: Mapping[str, str] | None = None, *, secrets_files=None,
                     **overrides: Any) -> tuple[Settings, dict[str, str]]:
    """The settings and, for each, where its value came from: "default", "config file PATH",
    "secrets.toml PATH", "environment PMO_…" or "override".

    With `environ` given (a test, a script) the secrets files are read only when `secrets_files` names
    them; without it, the process environment and Streamlit's secrets files are read. A malformed value
    raises ValueError naming the variable, or the file and the key.
    """
    if secrets_files is None:
        secrets_files = SECRETS_FILES if environ is None else ()
    environ = os.environ if environ is None else environ
    values = {s.name: s.default for s in SETTINGS}
    sources = {s.name: "default" for s in SETTINGS}
    for label, table in _file_layers(environ, secrets_files):
        for name, raw in table.items():
            values[name] = _coerce(_BY_NAME[name], raw, f"{label}: {name}")
            sources[name] = label
    for s in SETTINGS:
        if s.env_var in environ:
            values[s.name] = _parse(s, environ[s.env_var])
            sources[s.name] = f"environment {s.env_var}"
    for name, value in overrides.items():
        if name not in _BY_NAME:
            raise KeyError(f"unknown setting {name!r}")
        values[name] = value
        sources[name] = "override"
    return Settings(**values), sources


def load_settings(environ: Mapping[str, str] | None = None, *, secrets_files=None, **overrides: Any) -> Settings:
    """Settings from their defaults, the config file, secrets.toml, the environment and explicit overrides
    (later ones win); see resolve_settings. A malformed value raises ValueError naming the variable.
    """
    return resolve_settings(environ, secrets_files=secrets_files, **overrides)[0]


_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]*:)[^/\s]+@", re.IGNORECASE)


def masked(value: Any) -> str:
    """A setting's value as it may be shown: the password of any URL in it replaced by ***."""
    return _URL_PASSWORD.sub(lambda m: m.group("head") + "***@", str(value))


def describe_settings() -> list[dict[str, str]]:
    """The settings as rows (name, environment variable, default, help) for docs and the glossary page."""
    return [{"setting": s.name, "environment variable": s.env_var, "default": repr(s.default), "help": s.help}
            for s in SETTINGS]
