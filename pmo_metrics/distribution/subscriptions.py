"""Subscriptions: who receives what, through which channel, and within which business units.

A subscription is a TOML table `[subscriptions.NAME]` — in `.streamlit/secrets.toml`, in the file
named by the `subscriptions_file` setting, or stored in the app-state store (a PMO lead edits those
on a page). All three are checked by the same `parse_subscription`, so a definition that is refused
in one place is refused everywhere, with one line naming the subscription and the key.

Webhook addresses of Teams and Slack are credentials (whoever holds one can post to the channel):
they may be written literally only where secrets live (secrets.toml, the store); a subscriptions
file names an environment variable instead (`teams_env`, `slack_env`).
"""
from __future__ import annotations

import ipaddress
import os
import re
import tomllib
import urllib.parse
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Mapping

from .. import metrics as registry
from ..access import ALL_UNITS, Scope, resolve_scope, scoping_configured

CONTENTS = ("digest", "pack", "alerts", "chase_list")
PACK_FORMATS = ("pptx", "html")
CHANNELS = ("email", "teams", "slack")
ALERT_STATUSES = ("amber", "red")
# A digest that fits on a phone screen: the figures a steering committee asks about first.
DEFAULT_DIGEST_KPIS = ("active_projects", "rag_red_share", "stale_status_share", "milestone_on_time_rate",
                       "spi", "cpi", "benefit_realization_rate", "utilization")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_ITEMS = 50     # KPIs, alerts, units … a subscription lists at most

KEYS = ("email", "teams", "slack", "teams_env", "slack_env", "send", "pack_formats", "kpis", "alerts", "user",
        "business_units", "portfolios", "programs", "project_manager", "resend_on_reload", "enabled")
ALERT_KEYS = ("kpi", "status", "above", "below", "new_only")


class SubscriptionError(ValueError):
    """A subscription cannot be used as written; the message is one line naming it and the key."""


@dataclass(frozen=True)
class Alert:
    """Fires when `kpi`'s status is `status` or worse, or its value is above / below a line."""

    kpi: str
    status: str | None = None
    above: float | None = None
    below: float | None = None
    new_only: bool = False       # only in the month the condition first holds, not every month after

    def describe(self) -> str:
        label = registry.get(self.kpi).label
        if self.status is not None:
            return f"{label} {self.status}" + (" or worse" if self.status != "red" else "")
        if self.above is not None:
            return f"{label} above {registry.format_value(self.kpi, self.above)}"
        return f"{label} below {registry.format_value(self.kpi, self.below)}"


@dataclass(frozen=True)
class Subscription:
    name: str
    channel: str                              # one of CHANNELS
    address: str                              # the e-mail address or the webhook URL
    send: tuple[str, ...] = ("digest",)
    pack_formats: tuple[str, ...] = ("pptx",)
    kpis: tuple[str, ...] = DEFAULT_DIGEST_KPIS
    alerts: tuple[Alert, ...] = ()
    user: str | None = None                   # an identity of [scoping.users]
    business_units: tuple[str, ...] | None = None
    portfolios: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    project_manager: str | None = None
    resend_on_reload: bool = True             # a later load of the same month sends again
    enabled: bool = True
    origin: str = "secrets"                   # where it was defined, for messages

    @property
    def recipient(self) -> str:
        """The address as it may be shown and logged: a webhook without its secret path."""
        return self.address if self.channel == "email" else shown_url(self.address)

    def scope(self, secrets: Mapping[str, Any] | None) -> Scope:
        """The business units this subscriber may receive figures of.

        Explicit `business_units` ("*" for every unit) win; else `user` — or, for an e-mail
        subscription, its address — is looked up in [scoping.users] exactly as the dashboard looks
        up a signed-in viewer (PMO_USER and default_user never apply to a subscriber). Without a
        [scoping] section and without explicit units a subscriber sees every unit, as every viewer does.
        """
        if self.business_units is not None:
            if ALL_UNITS in self.business_units:
                return Scope(self.user or self.name, None)
            return Scope(self.user or self.name, frozenset(self.business_units))
        if not scoping_configured(secrets):
            return Scope(self.user or self.name, None)
        identity = self.user or (self.address if self.channel == "email" else None)
        if identity is None:
            # A channel is read by whoever is in it: it needs its scope said out loud.
            return Scope(self.name, frozenset())
        return resolve_scope(secrets, identity, environ={})


def shown_url(url: str) -> str:
    """A webhook URL without its path and query, where the secret token is: 'https://host/…'."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{':' + str(parts.port) if parts.port else ''}/…"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str) -> str | None:
    """Why `url` cannot be a webhook (None when it can): https only, except to this machine."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 — raises on a malformed port
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "is not an https:// URL"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "must be https:// (the message would cross the network unencrypted)"
    if parts.username or parts.password:
        return "must not carry a user name or password"
    return None


# -- parsing -------------------------------------------------------------------------------------------

def _fail(name: str, key: str, problem: str):
    raise SubscriptionError(f"subscription {name!r}: {key}: {problem}")


def _strings(name: str, key: str, value: Any, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        _fail(name, key, "must be a list of texts")
    if len(value) > MAX_ITEMS:
        _fail(name, key, f"lists more than {MAX_ITEMS} values")
    out = tuple(dict.fromkeys(v.strip() for v in value))
    if allowed is not None:
        for v in out:
            if v not in allowed:
                _fail(name, key, f"{v!r} is not one of {', '.join(allowed)}")
    return out


def _text(name: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 320 or "\n" in value or "\r" in value:
        _fail(name, key, "must be one line of text")
    return value.strip()


def _flag(name: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        _fail(name, key, "must be true or false")
    return value


def _number(name: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        _fail(name, key, "must be a number")
    return float(value)


def _kpi(name: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or value not in registry.METRICS:
        _fail(name, key, f"{value!r} is not a KPI id (see docs/glossary.md, e.g. cpi, rag_red_share)")
    return value


def _alert(name: str, i: int, table: Any) -> Alert:
    where = f"alerts[{i}]"
    if not isinstance(table, Mapping):
        _fail(name, where, "must be a table such as { kpi = \"cpi\", status = \"amber\" }")
    for key in table:
        if key not in ALERT_KEYS:
            _fail(name, f"{where}.{key}", f"unknown key (an alert has {', '.join(ALERT_KEYS)})")
    if "kpi" not in table:
        _fail(name, f"{where}.kpi", "is missing")
    kpi = _kpi(name, f"{where}.kpi", table["kpi"])
    metric = registry.get(kpi)
    given = [k for k in ("status", "above", "below") if k in table]
    if len(given) != 1:
        _fail(name, where, "give exactly one of status, above or below")
    status = above = below = None
    if "status" in table:
        if table["status"] not in ALERT_STATUSES:
            _fail(name, f"{where}.status", f"must be one of {', '.join(ALERT_STATUSES)}")
        if metric.thresholds is None or metric.good == "neutral":
            _fail(name, f"{where}.status", f"{kpi} has no RAG thresholds; use above or below")
        status = table["status"]
    else:
        key = given[0]
        line = _number(name, f"{where}.{key}", table[key])
        if metric.unit == "share" and not 0 <= line <= 1:
            _fail(name, f"{where}.{key}", f"{kpi} is a share: write it as a fraction (0.2 for 20 %)")
        above, below = (line, None) if key == "above" else (None, line)
    new_only = _flag(name, f"{where}.new_only", table.get("new_only", False))
    return Alert(kpi, status, above, below, new_only)


def parse_subscription(name: Any, table: Any, origin: str = "secrets",
                       environ: Mapping[str, str] | None = None) -> Subscription:
    """One subscription from its TOML table; SubscriptionError naming the key otherwise.

    `origin` is "secrets", "store" or "file …" (a file may not hold webhook URLs). With `environ`
    None the environment is not consulted: a `teams_env` / `slack_env` is then only checked for its
    form (the store validates a definition that the sending machine will resolve).
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise SubscriptionError(f"subscription {name!r}: its name must be 1–64 letters, digits, '.', '_' or '-'")
    if not isinstance(table, Mapping):
        raise SubscriptionError(f"subscription {name!r}: must be a table of keys such as email = \"…\"")
    for key in table:
        if key not in KEYS:
            _fail(name, key, "unknown key (see docs/distribution.md for the keys a subscription has)")

    channels = [k for k in ("email", "teams", "slack", "teams_env", "slack_env") if k in table]
    if len(channels) != 1:
        _fail(name, "email", "give exactly one of email, teams, slack, teams_env or slack_env")
    key = channels[0]
    channel = key.removesuffix("_env")
    value = _text(name, key, table[key])
    if key == "email":
        shown, addr = parseaddr(value)
        if shown or addr != value or not _ADDRESS.match(value):
            _fail(name, key, f"{value!r} is not an e-mail address")
        address = value
    elif key.endswith("_env"):
        if not _ENV_NAME.match(value):
            _fail(name, key, f"{value!r} is not the name of an environment variable")
        address = ""
        if environ is not None:
            address = environ.get(value, "").strip()
            if not address:
                _fail(name, key, f"the environment variable {value} is not set")
            problem = check_webhook_url(address)
            if problem:
                _fail(name, key, f"the address in {value} {problem}")
    else:
        if origin.startswith("file"):
            _fail(name, key, f"keep webhook addresses out of files that may be committed: write {key}_env = "
                             "\"VARIABLE\", or define the subscription in .streamlit/secrets.toml")
        problem = check_webhook_url(value)
        if problem:
            _fail(name, key, f"{shown_url(value) if '://' in value else 'the address'} {problem}")
        address = value

    send = _strings(name, "send", table.get("send", ["digest"]), CONTENTS)
    if not send:
        _fail(name, "send", f"name at least one of {', '.join(CONTENTS)}")
    pack_formats = _strings(name, "pack_formats", table.get("pack_formats", ["pptx"]), PACK_FORMATS)
    if "pack" in send and not pack_formats:
        _fail(name, "pack_formats", "name pptx, html or both")
    kpis = tuple(_kpi(name, "kpis", k) for k in _strings(name, "kpis", table.get("kpis", list(DEFAULT_DIGEST_KPIS))))
    raw_alerts = table.get("alerts", [])
    if not isinstance(raw_alerts, list) or len(raw_alerts) > MAX_ITEMS:
        _fail(name, "alerts", f"must be a list of at most {MAX_ITEMS} tables")
    alerts = tuple(_alert(name, i, a) for i, a in enumerate(raw_alerts))
    if "alerts" in send and not alerts:
        _fail(name, "alerts", "send names alerts but none is given, e.g. alerts = [{ kpi = \"cpi\", status = \"amber\" }]")
    if alerts and "alerts" not in send:
        _fail(name, "send", "alerts are given but send does not name \"alerts\"")

    user = _text(name, "user", table["user"]) if "user" in table else None
    units = _strings(name, "business_units", table["business_units"]) if "business_units" in table else None
    if user is not None and units is not None:
        _fail(name, "business_units", "give user (looked up in [scoping.users]) or business_units, not both")
    manager = _text(name, "project_manager", table["project_manager"]) if "project_manager" in table else None
    if "chase_list" in send and manager is None:
        _fail(name, "project_manager", "a chase list needs the project manager's name as the projects extract spells it")
    return Subscription(
        name=name, channel=channel, address=address, send=send, pack_formats=pack_formats, kpis=kpis,
        alerts=alerts, user=user, business_units=units,
        portfolios=_strings(name, "portfolios", table.get("portfolios", [])),
        programs=_strings(name, "programs", table.get("programs", [])),
        project_manager=manager,
        resend_on_reload=_flag(name, "resend_on_reload", table.get("resend_on_reload", True)),
        enabled=_flag(name, "enabled", table.get("enabled", True)),
        origin=origin)


# -- the three sources ---------------------------------------------------------------------------------

def _tables(section: Any, where: str) -> tuple[list[tuple[str, Any]], list[str]]:
    if section is None:
        return [], []
    if not isinstance(section, Mapping):
        return [], [f"{where}: [subscriptions] must be a table of [subscriptions.NAME] tables"]
    return list(section.items()), []


def subscriptions_in_file(path: str | Path) -> tuple[list[tuple[str, Any]], list[str]]:
    """The (name, table) pairs of a subscriptions file, and the one-line problem if it cannot be read."""
    path = Path(path).expanduser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [], [f"the subscriptions file {path} does not exist (setting subscriptions_file)"]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"the subscriptions file {path} cannot be read ({getattr(exc, 'strerror', None) or exc})"]
    except tomllib.TOMLDecodeError as exc:
        return [], [f"the subscriptions file {path} is not valid TOML ({exc})"]
    return _tables(data.get("subscriptions"), str(path))


def collect_subscriptions(secrets: Mapping[str, Any] | None, subscriptions_file: str = "",
                          stored: list[tuple[str, Any]] | None = None,
                          environ: Mapping[str, str] | None = None) -> tuple[list[Subscription], list[str]]:
    """Every subscription from secrets, the subscriptions file and the store (in that order), and
    one line per problem. A malformed subscription is left out and reported; the others stand."""
    environ = os.environ if environ is None else environ
    try:
        section = (secrets or {}).get("subscriptions")
    except Exception:  # noqa: BLE001 — st.secrets raises when there is no secrets file at all
        section = None
    sources: list[tuple[str, list[tuple[str, Any]]]] = []
    problems: list[str] = []
    pairs, found = _tables(section, "secrets.toml")
    sources.append(("secrets", pairs))
    problems += found
    if subscriptions_file:
        pairs, found = subscriptions_in_file(subscriptions_file)
        sources.append((f"file {subscriptions_file}", pairs))
        problems += found
    sources.append(("store", list(stored or [])))
    out: list[Subscription] = []
    seen: dict[str, str] = {}
    for origin, pairs in sources:
        for name, table in pairs:
            if name in seen:
                problems.append(f"subscription {name!r} is defined in {seen[name]} and again in {origin}; "
                                f"the one in {seen[name]} is used")
                continue
            try:
                out.append(parse_subscription(name, table, origin, environ))
            except SubscriptionError as exc:
                problems.append(str(exc))
            seen[str(name)] = origin
    return out, problems
