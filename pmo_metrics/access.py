"""Who may do what: the PMO-lead password that unlocks loading data, and business-unit scoping.

Plain Python, like the rest of the library: the app passes in its secrets (a mapping, e.g.
`st.secrets`) and the identity of the person using it; nothing is read at import time.

Scoping narrows the global filters (`Scope.apply`), so every figure, table, download and export
built from those filters is narrowed too. Views that are not built from the filters (row-level
data-quality findings, the load history) are the page's to withhold from a scoped user.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping

from .filters import Filters

PASSWORD_ENV = "PMO_DATA_LOADS_PASSWORD"
USER_ENV = "PMO_USER"
# A business-unit value no extract can hold by accident: selecting only it selects no project.
NO_UNIT = "\u2205 no business unit in scope"
ALL_UNITS = "*"


# -- the PMO-lead password ----------------------------------------------------------------------------

def _section(secrets: Mapping[str, Any] | None, name: str) -> Mapping[str, Any]:
    try:
        value = (secrets or {}).get(name)
    except Exception:  # noqa: BLE001 — st.secrets raises when there is no secrets file at all
        return {}
    return value if isinstance(value, Mapping) else {}


def data_loads_password(secrets: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The configured PMO-lead password: `[data_loads] password` in the secrets, else the
    PMO_DATA_LOADS_PASSWORD environment variable; None (loading switched off) when neither is set
    or the value is empty or still the example's placeholder."""
    environ = os.environ if environ is None else environ
    value = _section(secrets, "data_loads").get("password") or environ.get(PASSWORD_ENV) or ""
    value = str(value)
    if not value.strip() or value == "change-me":
        return None
    return value


def password_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison of two passwords (as UTF-8 bytes)."""
    return hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


def password_fingerprint(expected: str) -> str:
    """A value a session may keep to remember it was unlocked, without keeping the password; a
    changed password no longer matches it, so every session is locked again."""
    return hashlib.sha256(b"pmo-data-loads\0" + expected.encode("utf-8")).hexdigest()


class Throttle:
    """Slows down guessing: each failed attempt waits longer (server-wide, since a new browser
    session is free), and a session that fails `max_attempts` times in a row is locked out for
    `lockout_s` seconds. Since a new session is free, the lock-out is also server-wide: a client
    address with `max_attempts` failures within `window_s`, and every client once the server has
    seen `server_attempts` failures within `window_s` (six parallel sessions made 30 guesses in
    64 s when only the session counted)."""

    def __init__(self, base_delay_s: float = 1.0, max_delay_s: float = 8.0, window_s: float = 300.0,
                 max_attempts: int = 5, lockout_s: float = 300.0, server_attempts: int = 20):
        self.base_delay_s, self.max_delay_s, self.window_s = base_delay_s, max_delay_s, window_s
        self.max_attempts, self.lockout_s, self.server_attempts = max_attempts, lockout_s, server_attempts
        self._lock = threading.Lock()
        self._failures: list[float] = []
        self._by_client: dict[str, list[float]] = {}

    def _keep(self, now: float) -> None:
        """Forget failures older than the window and the lock-out both (under the lock)."""
        horizon = max(self.window_s, self.lockout_s)
        self._failures = [t for t in self._failures if now - t < horizon]
        for client in list(self._by_client):
            kept = [t for t in self._by_client[client] if now - t < horizon]
            if kept:
                self._by_client[client] = kept
            else:
                del self._by_client[client]  # the table stays as small as the clients guessing now

    def failed(self, client: str | None) -> float:
        """Record a failed attempt from `client` (its address; None when unknown); the seconds the
        caller should wait before answering."""
        now = time.monotonic()
        with self._lock:
            self._keep(now)
            self._by_client.setdefault(client or "", []).append(now)
        return self.delay_after_failure()  # counts the failure server-wide, too

    def client_locked_for(self, client: str | None) -> float:
        """Seconds `client` must still wait because of the failures from its address or from
        everywhere within the window; 0 when it may try."""
        now = time.monotonic()
        with self._lock:
            self._keep(now)
            waits = [0.0]
            for failures, limit in ((self._by_client.get(client or "", []), self.max_attempts),
                                    (self._failures, self.server_attempts)):
                recent = [t for t in failures if now - t < self.window_s]
                if len(recent) >= limit:
                    waits.append(self.lockout_s - (now - recent[-1]))
        return max(waits)

    def delay_after_failure(self) -> float:
        """Record a failure; the seconds the caller should wait before answering."""
        now = time.monotonic()
        with self._lock:
            self._failures = [t for t in self._failures if now - t < self.window_s] + [now]
            recent = len(self._failures)
        return min(self.base_delay_s * recent, self.max_delay_s)

    def locked_for(self, failures: int, last_failure: float | None) -> float:
        """Seconds a session with `failures` consecutive failures (the last at `last_failure`,
        time.monotonic()) must still wait; 0 when it may try again."""
        if failures < self.max_attempts or last_failure is None:
            return 0.0
        return max(0.0, self.lockout_s - (time.monotonic() - last_failure))


# -- what a scoped person may see of a validation report ------------------------------------------------

WITHHELD = "withheld"


def withhold_loaded_findings(frame):
    """A validation report's findings (a pandas frame, `ValidationReport.to_frame()`) as a person
    who sees only some business units may read them: the findings about their own files stay;
    those about rows already loaded, which may name projects, resources and values of every unit,
    become one line per rule saying how many were withheld (as the data-quality page withholds
    row-level findings)."""
    import pandas as pd  # only the Data loads page asks for this; access itself stays light

    from .schemas.rules import DATABASE  # the findings' marker for rows already loaded

    loaded = frame["file"].eq(DATABASE).fillna(False)
    if not loaded.any():
        return frame
    counts = frame[loaded].groupby(["rule_id", "severity", "table"], dropna=False, sort=False).size()
    summary = pd.DataFrame([
        {"rule_id": rule, "severity": severity, "table": table, "file": DATABASE, "row": None, "column": None,
         "value": None, "project_id": None,
         "message": f"{n:,} finding(s) about rows already loaded are {WITHHELD}: they may concern business "
                    "units outside your scope (a person who sees every unit can read them)"}
        for (rule, severity, table), n in counts.items()], columns=frame.columns)
    return pd.concat([frame[~loaded], summary], ignore_index=True)


# -- who is writing -----------------------------------------------------------------------------------

ANONYMOUS = "anonymous"


def author(user: str | None, secrets: Mapping[str, Any] | None = None,
           environ: Mapping[str, str] | None = None) -> str:
    """The name a saved scenario or a note is signed with: the signed-in account (`user`), else
    PMO_USER, else `[scoping] default_user`, else "anonymous"."""
    environ = os.environ if environ is None else environ
    for value in (user, environ.get(USER_ENV), _section(secrets, "scoping").get("default_user")):
        if value is not None and str(value).strip():
            return str(value).strip()
    return ANONYMOUS


# -- business-unit scoping ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """The business units one person may see; `business_units` None means every unit (no scoping)."""

    user: str | None = None
    business_units: frozenset[str] | None = None

    @property
    def restricted(self) -> bool:
        return self.business_units is not None

    def allows(self, business_unit: str | None) -> bool:
        return self.business_units is None or business_unit in self.business_units

    def visible(self, values: Iterable[str]) -> list[str]:
        """The business units among `values` this scope may see, in their order."""
        return [v for v in values if self.allows(v)]

    def apply(self, filters: Filters) -> Filters:
        """The filters narrowed to this scope: the chosen units intersected with the allowed ones
        (all allowed ones when none is chosen). An empty intersection selects no project, never
        every project."""
        if self.business_units is None:
            return filters
        chosen = set(filters.business_units) & self.business_units if filters.business_units \
            else set(self.business_units)
        return replace(filters, business_units=tuple(chosen) or (NO_UNIT,))

    def describe(self) -> str:
        if self.business_units is None:
            return "every business unit"
        units = sorted(self.business_units)
        return ", ".join(units) if units else "no business unit"


UNRESTRICTED = Scope()


def scoping_configured(secrets: Mapping[str, Any] | None) -> bool:
    return bool(_section(secrets, "scoping"))


def resolve_scope(secrets: Mapping[str, Any] | None, user: str | None = None,
                  environ: Mapping[str, str] | None = None) -> Scope:
    """The scope of the person using the dashboard.

    Without a `[scoping]` section everyone sees everything. With one, the identity is `user` (the
    signed-in account, from the app's authentication), else PMO_USER, else `[scoping] default_user`;
    `[scoping.users]` maps identities (compared without regard to case) to lists of business units,
    where "*" means every unit. An identity that is missing or not listed sees nothing.
    """
    environ = os.environ if environ is None else environ
    section = _section(secrets, "scoping")
    if not section:
        return UNRESTRICTED
    identity = (user or environ.get(USER_ENV) or str(section.get("default_user") or "")).strip() or None
    users = section.get("users")
    users = users if isinstance(users, Mapping) else {}
    allowed: Any = None
    if identity is not None:
        by_lower = {str(k).strip().lower(): v for k, v in users.items()}
        allowed = by_lower.get(identity.lower())
    if isinstance(allowed, str):
        allowed = [allowed]
    units = [str(u) for u in (allowed or [])]
    if ALL_UNITS in units:
        return Scope(identity, None)
    return Scope(identity, frozenset(units))
