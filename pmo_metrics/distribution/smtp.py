"""Sending an e-mail through the configured mail server: STARTTLS, implicit TLS or, to a server on
this machine only, plain SMTP.

Host, port and security are settings; the login is `[smtp] username` / `password` in
secrets.toml or PMO_SMTP_USERNAME / PMO_SMTP_PASSWORD — never a setting or a committed file. The
server's certificate is always verified (against `smtp_ca_file` when given).
"""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Mapping

from ..settings import Settings
from .retry import PermanentError, TransientError
from .subscriptions import is_loopback
from .text import clean

SECURITIES = {"starttls": 587, "ssl": 465, "none": 25}
USERNAME_ENV, PASSWORD_ENV = "PMO_SMTP_USERNAME", "PMO_SMTP_PASSWORD"


class SmtpConfigError(ValueError):
    """The mail settings cannot work; one line naming the setting."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    sender: str
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def smtp_config(settings: Settings, secrets: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> SmtpConfig:
    """The mail server to use; SmtpConfigError naming the setting that cannot work."""
    environ = os.environ if environ is None else environ
    security = settings.smtp_security.strip().lower()
    if security not in SECURITIES:
        raise SmtpConfigError(f"smtp_security is {settings.smtp_security!r}: use starttls, ssl or none")
    host = settings.smtp_host.strip()
    if not host:
        raise SmtpConfigError("smtp_host is empty: name the mail server (PMO_SMTP_HOST)")
    if security == "none" and not is_loopback(host):
        raise SmtpConfigError(f"smtp_security none sends mail unencrypted: allowed only to a server on this "
                              f"machine (localhost), not {host}; use starttls or ssl")
    sender = settings.mail_from.strip()
    if not sender or "@" not in sender or any(c in sender for c in "\r\n"):
        raise SmtpConfigError("mail_from is not set: give the From address of the messages (PMO_MAIL_FROM)")
    try:
        section = (secrets or {}).get("smtp") or {}
    except Exception:  # noqa: BLE001 — st.secrets raises when there is no secrets file at all
        section = {}
    section = section if isinstance(section, Mapping) else {}
    username = str(section.get("username") or environ.get(USERNAME_ENV) or "") or None
    password = str(section.get("password") or environ.get(PASSWORD_ENV) or "") or None
    if username and not password:
        raise SmtpConfigError(f"an SMTP user name is set but no password ([smtp] password or {PASSWORD_ENV})")
    return SmtpConfig(host, settings.smtp_port or SECURITIES[security], security, sender, username, password,
                      float(settings.send_timeout_seconds or 30), settings.smtp_ca_file or None)


def _context(config: SmtpConfig) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=config.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise PermanentError(f"cannot read smtp_ca_file {config.ca_file} ({clean(exc, 100)})") from None


def _code_error(what: str, code: int, text: bytes | str):
    said = clean(text.decode("utf-8", "replace") if isinstance(text, bytes) else text, 120)
    line = f"{what} ({code} {said})".replace("  ", " ")
    return TransientError(line) if 400 <= code < 500 else PermanentError(line)


def send_email(config: SmtpConfig, msg: EmailMessage) -> None:
    """Deliver `msg` to its To address; TransientError or PermanentError with one line."""
    recipient = msg["To"]
    try:
        if config.security == "ssl":
            client = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=_context(config))
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        with client:
            client.ehlo()
            if config.security == "starttls":
                client.starttls(context=_context(config))
                client.ehlo()
            if config.username:
                client.login(config.username, config.password or "")
            refused = client.send_message(msg, from_addr=config.sender, to_addrs=[recipient])
        if refused:  # only with several recipients; one refused raises below instead
            code, text = next(iter(refused.values()))
            raise _code_error(f"the mail server refused {recipient}", code, text)
    except smtplib.SMTPAuthenticationError as exc:
        raise PermanentError(f"the mail server {config.server} refused the login of {config.username!r} "
                             f"({exc.smtp_code} {clean(exc.smtp_error.decode('utf-8', 'replace'), 80)})") from None
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise _code_error(f"the mail server refused the address {recipient}", code, text) from None
    except smtplib.SMTPSenderRefused as exc:
        raise _code_error(f"the mail server refused the sender {config.sender}", exc.smtp_code, exc.smtp_error) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise PermanentError(f"the mail server {config.server} cannot do what the settings ask "
                             f"({clean(exc, 80).rstrip('.')}); check smtp_security and the login") from None
    except smtplib.SMTPResponseException as exc:
        raise _code_error(f"the mail server {config.server} refused the message", exc.smtp_code, exc.smtp_error) from None
    except ssl.SSLCertVerificationError as exc:
        raise PermanentError(f"the mail server {config.server}'s certificate is not trusted "
                             f"({clean(exc.verify_message or exc, 80)}); see smtp_ca_file") from None
    except ssl.SSLError as exc:
        raise PermanentError(f"TLS with the mail server {config.server} failed ({clean(exc, 100)}); "
                             "check smtp_security and smtp_port") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(f"cannot reach the mail server {config.server} "
                             f"({clean(getattr(exc, 'strerror', None) or exc, 100) or type(exc).__name__})") from None
