"""Sending what is due: one pass over the subscriptions for one month of one load.

`send_due` is what a scheduler runs (cron every hour, a systemd timer, or right after each load):

1. the month is `as_of` or the month of the latest status report, the load the latest one recorded
   in the warehouse; a subscription is due unless the send log has it for that (month, load) — or,
   with `resend_on_reload = false`, for that month;
2. each due subscriber's content is computed under their scope and rendered for their channel;
3. each message is claimed in the send log, then delivered. Every subscriber gets a first attempt
   before anyone's second: a mail server that is down, or one webhook answering 500, delays only
   its own messages. Transient failures are retried `send_attempts` times with doubling waits;
   a refusal (a rejected address, a refused login, HTTP 4xx) is reported at once.

The result is one line per subscriber and an exit code. With `dry_run_dir` nothing is delivered
or logged: every message that would go is written there (an .eml per e-mail, a .json per webhook).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..appstate import AppState
from ..db import DatabaseError, cursor_for, open_readonly
from ..kpis import available_months, default_as_of
from ..views.quality import data_provenance
from ..settings import Settings
from .compose import Bundle, ContentError, Run
from .links import check_base_url
from .mail import build_email
from .retry import DeliveryError, PermanentError, TransientError, delays
from .smtp import SmtpConfig, SmtpConfigError, send_email, smtp_config
from .store import SendKey, claim, delivered, finish, record_attempt, stored_definitions
from .subscriptions import Subscription, collect_subscriptions
from .webhooks import payload_for, post_json

EXIT_OK, EXIT_INPUT, EXIT_UNDELIVERED = 0, 2, 4


class DistributionError(Exception):
    """Nothing can be sent at all (no database, no data for the month, a broken setting); one line."""


@dataclass
class Outcome:
    name: str
    status: str          # sent | written | already sent | nothing to send | paused | busy | failed
    detail: str = ""
    attempts: int = 0

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def line(self) -> str:
        return f"{self.name}: {self.status}" + (f" — {self.detail}" if self.detail else "")


@dataclass
class SendReport:
    month: str
    load_id: str
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)    # configuration refused, one line each
    notices: list[str] = field(default_factory=list)     # worth saying, not a failure

    @property
    def exit_code(self) -> int:
        if any(o.failed for o in self.outcomes):
            return EXIT_UNDELIVERED
        return EXIT_INPUT if self.problems else EXIT_OK

    def lines(self) -> list[str]:
        return [o.line() for o in self.outcomes]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        shown = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no subscriptions"
        return f"{self.month} (load {self.load_id}): {shown}"


@dataclass
class _Delivery:
    sub: Subscription
    key: SendKey
    send: Callable[[], None]
    contents: str
    message_id: str | None
    attempts: int = 0
    last_error: str = ""


def _latest_load(con) -> tuple[str, datetime | None]:
    """The published load (a warehouse built by hand, without a load log, counts as one load)."""
    latest = data_provenance(con)
    return (str(latest["load_id"]), latest["loaded_at"]) if latest else ("unlogged", None)


def _month(con, as_of: str | None) -> str:
    months = available_months(con)
    if as_of is None:
        month = default_as_of(con)
        if month is None:
            raise DistributionError("the warehouse holds no data yet: load a batch first")
        return month
    if as_of not in months:
        span = f"{months[0]} to {months[-1]}" if months else "no month at all"
        raise DistributionError(f"the warehouse holds no data for {as_of} (it holds {span})")
    return as_of


def _file_name(sub: Subscription, month: str, suffix: str) -> str:
    return f"{sub.name}-{month}{suffix}"


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def send_due(db_path: str | Path, store: AppState | None, settings: Settings, secrets: Mapping[str, Any] | None = None,
             *, as_of: str | None = None, dry_run_dir: str | Path | None = None, only: Iterable[str] | None = None,
             environ: Mapping[str, str] | None = None, sleep: Callable[[float], None] = time.sleep) -> SendReport:
    """Send (or, with `dry_run_dir`, write) every message that is due; see the module docstring.

    DistributionError when nothing can be sent at all; otherwise a SendReport whose outcomes say,
    one line per subscriber, what happened, and whose exit_code a scheduler can act on.
    """
    if store is None and dry_run_dir is None:
        raise DistributionError("sending needs the app-state store for its send log (only a dry run goes without)")
    if settings.dashboard_url and check_base_url(settings.dashboard_url):
        raise DistributionError(f"dashboard_url {settings.dashboard_url!r} {check_base_url(settings.dashboard_url)}")
    stored = stored_definitions(store) if store is not None else []
    subs, problems = collect_subscriptions(secrets, settings.subscriptions_file, stored, environ)
    wanted = list(dict.fromkeys(only or []))
    if wanted:
        known = {s.name for s in subs}
        problems += [f"--only {n}: there is no usable subscription of that name" for n in wanted if n not in known]
        subs = [s for s in subs if s.name in wanted]
    out_dir = Path(dry_run_dir) if dry_run_dir is not None else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DistributionError(f"cannot write the dry run to {out_dir} ({exc.strerror or exc})") from None

    con = open_readonly(db_path)
    try:
        cur = cursor_for(con)
        month = _month(cur, as_of)
        load_id, loaded_at = _latest_load(cur)
        report = SendReport(month, load_id, problems=problems)
        if not settings.dashboard_url:
            report.notices.append("dashboard_url is not set: the messages carry no links to the dashboard")
        run = Run(cur, month, load_id, loaded_at, settings, secrets, store)
        mail = _mail_server(settings, secrets, environ)
        queue = [d for d in (_prepare(run, sub, report, store, out_dir, mail) for sub in subs) if d is not None]
    finally:
        con.close()
    _deliver(queue, report, store, settings, sleep)
    order = {s.name: i for i, s in enumerate(subs)}
    report.outcomes.sort(key=lambda o: order.get(o.name, len(order)))
    return report


def _mail_server(settings: Settings, secrets, environ) -> SmtpConfig | SmtpConfigError:
    """The mail server, or why it cannot be used (which fails the e-mail subscribers only)."""
    try:
        return smtp_config(settings, secrets, environ)
    except SmtpConfigError as exc:
        return exc


def _prepare(run: Run, sub: Subscription, report: SendReport, store: AppState | None, out_dir: Path | None,
             mail: SmtpConfig | SmtpConfigError) -> _Delivery | None:
    """Compose and render one subscriber's message; None when there is nothing to deliver now
    (the outcome is then recorded already)."""
    def outcome(status: str, detail: str = "") -> None:
        report.outcomes.append(Outcome(sub.name, status, detail))

    if not sub.enabled:
        return outcome("paused", "enabled = false")
    key = SendKey(sub.name, run.month, run.load_id)
    done = delivered(store, sub, key) if store is not None else None
    if done is not None:
        when = f"{done.finished_at:%Y-%m-%d %H:%M}" if done.finished_at else ""
        what = "nothing was due" if done.status == "nothing" else f"to {done.recipient}"
        return outcome("already sent", f"{what} {when} (load {done.load_id})".strip())
    try:
        bundle = run.compose(sub)
    except (ContentError, DatabaseError) as exc:
        return outcome("failed", f"cannot build the message: {exc}")
    except Exception as exc:  # noqa: BLE001 — one subscriber's surprise must not stop the others
        return outcome("failed", f"cannot build the message ({type(exc).__name__}: {exc})")
    if bundle.is_empty:
        reason = "no alert fired" if "alerts" in sub.send else "nothing to chase"
        if out_dir is None and store is not None and claim(store, key, sub.channel, sub.recipient,
                                                             stale_after=_lease(run.settings)):
            finish(store, key, "nothing", reason)
        return outcome("nothing to send", reason)
    try:
        send, data, suffix, message_id = _render(run, sub, bundle, mail)
    except (SmtpConfigError, DeliveryError) as exc:
        return outcome("failed", str(exc))
    if out_dir is not None:
        path = out_dir / _file_name(sub, run.month, suffix)
        _write(path, data)
        return outcome("written", f"{bundle.contents()} to {path}")
    if not claim(store, key, sub.channel, sub.recipient, stale_after=_lease(run.settings)):
        return outcome("busy", "another run is sending it now")
    return _Delivery(sub, key, send, bundle.contents(), message_id)


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.send_claim_timeout_seconds)


def _render(run: Run, sub: Subscription, bundle: Bundle, mail: SmtpConfig | SmtpConfigError):
    """(send(), the bytes a dry run writes, their suffix, the Message-ID) for the subscriber's channel."""
    timeout = float(run.settings.send_timeout_seconds or 30)
    if sub.channel == "email":
        if isinstance(mail, SmtpConfigError):
            raise mail
        msg = build_email(bundle, mail.sender, run.load_id)
        return (lambda: send_email(mail, msg)), msg.as_bytes(), ".eml", msg["Message-ID"]
    payload = payload_for(bundle)
    return ((lambda: post_json(sub.address, payload, timeout)),
            json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8"), ".json", None)


def _deliver(queue: list[_Delivery], report: SendReport, store: AppState | None, settings: Settings,
             sleep: Callable[[float], None]) -> None:
    waits = delays(max(1, settings.send_attempts), settings.send_retry_ms)
    for round_no in range(len(waits) + 1):
        if not queue:
            return
        if round_no:
            sleep(waits[round_no - 1])
        again = []
        for d in queue:
            d.attempts += 1
            record_attempt(store, d.key)
            try:
                d.send()
            except TransientError as exc:
                d.last_error = str(exc)
                again.append(d)
                continue
            except PermanentError as exc:
                _failed(store, report, d, str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 — reported like a refusal; the others go on
                _failed(store, report, d, f"{type(exc).__name__}: {exc}")
                continue
            finish(store, d.key, "sent", d.contents, d.message_id)
            tries = f" (attempt {d.attempts})" if d.attempts > 1 else ""
            report.outcomes.append(Outcome(d.sub.name, "sent", f"{d.contents} to {d.sub.recipient}{tries}",
                                           d.attempts))
        queue = again
    for d in queue:
        _failed(store, report, d, f"gave up after {d.attempts} attempts: {d.last_error}")


def _failed(store: AppState | None, report: SendReport, d: _Delivery, why: str) -> None:
    finish(store, d.key, "failed", why)
    report.outcomes.append(Outcome(d.sub.name, "failed", why, d.attempts))
