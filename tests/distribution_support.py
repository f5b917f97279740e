"""Fixtures of the distribution tests: a demo warehouse with a hostile project name and a project
manager's stale project, a real SMTP server (aiosmtpd) and a real webhook receiver (http.server),
both on 127.0.0.1, and a certificate for the TLS cases."""
from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import html
import io
import ipaddress
import json
import re
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from pmo_metrics.settings import load_settings
from support import free_port

END_MONTH = "2026-10"
ALLOWED = "Retail"
MANAGER = "Gabriel Janssen"       # runs projects in Retail and in other units
HOSTILE_PROJECT = "PRJ-0052"      # a Retail project of MANAGER
HOSTILE_NAME = '<img src=x onerror=alert(1)> *b* & [x](https://e.x) <!channel>'   # within every cut
DASHBOARD = "https://pmo.example.org/dash"
SENDER = "pmo-reports@example.org"
SECRETS = {"scoping": {"users": {"exec@example.org": [ALLOWED], "gj@example.org": [ALLOWED],
                                 "boss@example.org": ["*"]}}}


# -- the warehouse -----------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def dist_demo(tmp_path_factory) -> dict:
    """The small demo, with HOSTILE_PROJECT renamed to HOSTILE_NAME and its status reports removed
    (so it is on its manager's chase list), loaded once."""
    from pmo_metrics.demo import generate_demo
    from pmo_metrics.warehouse import load_batch

    tmp = tmp_path_factory.mktemp("dist_demo")
    batch = tmp / "demo"
    generate_demo(batch, scale="small", seed=42, end_month=END_MONTH)
    projects = pd.read_csv(batch / "projects.csv", dtype=str, keep_default_na=False)
    row = projects["project_id"] == HOSTILE_PROJECT
    assert projects.loc[row, "business_unit"].tolist() == [ALLOWED]
    assert projects.loc[row, "project_manager"].tolist() == [MANAGER]
    projects.loc[row, "project_name"] = HOSTILE_NAME
    projects.to_csv(batch / "projects.csv", index=False)
    reports = pd.read_csv(batch / "status_reports.csv", dtype=str, keep_default_na=False)
    reports[reports["project_id"] != HOSTILE_PROJECT].to_csv(batch / "status_reports.csv", index=False)
    result = load_batch(batch, tmp / "pmo.duckdb")
    assert result.ok, result.message
    return {"db": tmp / "pmo.duckdb", "projects": pd.read_csv(batch / "projects.csv"), "load_id": result.load_id,
            "tmp": tmp}


def settings_for(**overrides):
    """Settings as a test deployment has them: fast retries, the dashboard and sender set."""
    base = dict(dashboard_url=DASHBOARD, mail_from=SENDER, smtp_host="127.0.0.1", smtp_security="none",
                send_retry_ms=10, send_attempts=3, send_timeout_seconds=10)
    base.update(overrides)
    return load_settings({}, **base)


# -- a real SMTP server ---------------------------------------------------------------------------------

@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class Handler:
    """Keeps every message; refuses addresses in `reject` (550), answers 451 to those in
    `tempfail` as many times as asked, and can hold a RCPT for `hold` until released."""

    def __init__(self):
        self.received: list[Received] = []
        self.reject: set[str] = set()
        self.tempfail: dict[str, int] = {}
        self.rcpt_seen: list[str] = []
        self.hold: str | None = None
        self.held = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_seen.append(address)
        if address == self.hold:
            self.held.set()
            deadline = time.monotonic() + 60
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            return "451 4.3.0 try again later"
        if address in self.reject:
            return "550 5.1.1 no such mailbox"
        if self.tempfail.get(address, 0) > 0:
            self.tempfail[address] -= 1
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]


@dataclass
class MailServer:
    handler: Handler
    port: int
    controller: Controller
    credentials: tuple[str, str] | None = None


def _authenticator(expected):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode(), auth_data.password.decode()) == expected
        return AuthResult(success=ok, handled=False)
    return check


@pytest.fixture
def smtp_server():
    """start(credentials=None, tls=None, implicit_tls=False, port=None) → a MailServer on 127.0.0.1."""
    started: list[Controller] = []

    def start(credentials: tuple[str, str] | None = None, tls=None, implicit_tls: bool = False,
              port: int | None = None) -> MailServer:
        handler, port = Handler(), port or free_port()
        kwargs: dict = {}
        if credentials:
            # aiosmtpd offers AUTH over implicit TLS only when not told to wait for STARTTLS
            kwargs.update(authenticator=_authenticator(credentials), auth_require_tls=tls is not None and not implicit_tls)
        if tls is not None and implicit_tls:
            kwargs.update(ssl_context=tls)
        elif tls is not None:
            kwargs.update(tls_context=tls, require_starttls=True)
        controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="127.0.0.1",
                                ready_timeout=10, **kwargs)
        controller.start()
        started.append(controller)
        return MailServer(handler, port, controller, credentials)

    yield start
    for c in started:
        c.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """(server ssl context, CA file) for a self-signed certificate of 127.0.0.1."""
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_file, key_file)
    return ctx, str(cert_file)


# -- a real webhook receiver ----------------------------------------------------------------------------

@dataclass
class Hooks:
    port: int
    requests: list[tuple[str, dict, dict]] = field(default_factory=list)   # (path, headers, json)
    script: dict[str, list[int]] = field(default_factory=dict)            # path → statuses to answer, in turn

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[dict]:
        return [body for p, _, body in self.requests if p == path]


@pytest.fixture
def webhook_server():
    hooks = Hooks(free_port())

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1_000_000))
            hooks.requests.append((self.path, dict(self.headers), json.loads(body)))
            statuses = hooks.script.get(self.path) or [200]
            status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 400 else b"invalid_payload")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", hooks.port), Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield hooks
    server.shutdown()
    server.server_close()
    thread.join(10)


# -- reading what arrived --------------------------------------------------------------------------------

def parts(msg) -> dict[str, object]:
    """{'text': str, 'html': str, 'attachments': {filename: bytes}} of an e-mail."""
    out: dict = {"attachments": {}}
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name:
            out["attachments"][name] = part.get_payload(decode=True)
        elif part.get_content_type() == "text/plain":
            out["text"] = part.get_content()
        elif part.get_content_type() == "text/html":
            out["html"] = part.get_content()
    return out


def pptx_text(data: bytes) -> str:
    """Every text of a deck: text frames, table cells, chart categories and series names."""
    from pptx import Presentation

    texts = []
    for slide in Presentation(io.BytesIO(data)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                texts += [c.text for row in shape.table.rows for c in row.cells]
            if getattr(shape, "has_chart", False) and shape.has_chart:
                for plot in shape.chart.plots:
                    texts += [str(c) for c in plot.categories]
                    texts += [s.name for s in plot.series]
    return "\n".join(texts)


def message_text(msg) -> str:
    """All a reader can see of an e-mail: both parts (HTML unescaped) and every attachment."""
    p = parts(msg)
    texts = [str(msg["Subject"]), p.get("text", ""), html.unescape(p.get("html", ""))]
    for name, data in p["attachments"].items():
        texts.append(pptx_text(data) if name.endswith(".pptx") else html.unescape(data.decode("utf-8")))
    return "\n".join(texts)


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.references: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name == "href":
                self.links.append(value or "")
            elif name in ("src", "srcset", "background", "poster", "data", "action", "formaction", "lowsrc"):
                self.references.append(f"{tag} {name}={value}")
            elif name == "style" and value and re.search(r"url\s*\(|@import|expression\s*\(", value, re.I):
                self.references.append(f"{tag} style={value}")


def html_references(text: str) -> _Refs:
    parser = _Refs()
    parser.feed(text)
    return parser


def other_units(projects: pd.DataFrame) -> tuple[set[str], set[str], set[str]]:
    """(ids, names, unit names) outside ALLOWED; unit names that occur in an allowed project's names
    are left out of the check, since they would be found there rightly."""
    other = projects[projects["business_unit"] != ALLOWED]
    mine = projects[projects["business_unit"] == ALLOWED]
    own_words = " ".join(mine[["project_name", "portfolio", "program"]].fillna("").astype(str).agg(" ".join, axis=1))
    units = {u for u in set(other["business_unit"]) if u not in own_words}
    return set(other["project_id"]), set(other["project_name"]), units


def leaks(text: str, projects: pd.DataFrame) -> list[str]:
    ids, names, units = other_units(projects)
    found = [i for i in ids if re.search(rf"\b{re.escape(i)}\b", text)]
    found += [n for n in names if n in text]
    found += [u for u in units if re.search(rf"\b{re.escape(u)}\b", text)]
    return found


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
