"""Delivery end to end, against real servers on 127.0.0.1: an SMTP server (aiosmtpd) that parses
every message, with STARTTLS, implicit TLS and AUTH; an HTTP server taking the Teams and Slack
payloads; the send log on SQLite and on the suite's PostgreSQL. Business-unit scoping is checked
on the content of every message, attachments included, as the pages are checked."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from distribution_support import (  # noqa: F401 — fixtures
    ALLOWED, DASHBOARD, END_MONTH, HOSTILE_NAME, HOSTILE_PROJECT, MANAGER, SECRETS, SENDER, certificate,
    dist_demo, html_references, leaks, message_text, parts, pptx_text, settings_for, smtp_server,
    webhook_server, write_toml,
)
from test_appstate import store_url  # noqa: F401 — the SQLite / PostgreSQL store fixture

from pmo_metrics import kpis
from pmo_metrics.appstate import AppState
from pmo_metrics.db import cursor_for, open_readonly
from pmo_metrics.distribution import send_due, send_log
from pmo_metrics.distribution.cli import add_send_command, run_send
from pmo_metrics.filters import Filters

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path):
    s = AppState.open(f"sqlite:///{tmp_path / 'appstate.sqlite'}")
    yield s
    s.close()


def _secrets(**subs) -> dict:
    """Subscriptions without business-unit scoping: everyone sees every unit."""
    return {"subscriptions": subs}


def _scoped(**subs) -> dict:
    """Subscriptions beside the [scoping] of SECRETS."""
    return {**SECRETS, "subscriptions": subs}


def _send(dist_demo, store, settings, secrets, **kw):
    sleeps: list[float] = []
    report = send_due(dist_demo["db"], store, settings, secrets, sleep=sleeps.append, **kw)
    report.sleeps = sleeps
    return report


def _statuses(report) -> dict[str, str]:
    return {o.name: o.status for o in report.outcomes}


# -- everything arrives, reads right and stays in scope ------------------------------------------------

def test_every_kind_of_message_arrives_within_its_scope(dist_demo, store, smtp_server, webhook_server):
    mail = smtp_server()
    settings = settings_for(smtp_port=mail.port)
    secrets = _scoped(
        exec={"email": "exec@example.org", "send": ["digest", "alerts", "pack"], "pack_formats": ["pptx", "html"],
              "alerts": [{"kpi": "milestone_on_time_rate", "status": "amber"}, {"kpi": "cpi", "below": 0.5}]},
        pm={"email": "gj@example.org", "send": ["chase_list"], "project_manager": MANAGER},
        channel={"slack": webhook_server.url("/slack"), "send": ["digest", "chase_list", "pack"],
                 "business_units": [ALLOWED], "project_manager": MANAGER},
        room={"teams": webhook_server.url("/teams"), "send": ["digest", "chase_list"], "user": "exec@example.org",
              "project_manager": MANAGER},
        boss={"email": "boss@example.org", "send": ["digest"]},
    )
    report = _send(dist_demo, store, settings, secrets)
    assert report.exit_code == 0, report.lines()
    assert _statuses(report) == dict.fromkeys(["exec", "pm", "channel", "room", "boss"], "sent")
    assert {r.status for r in send_log(store)} == {"sent"} and len(send_log(store)) == 5

    [exec_mail] = mail.handler.to("exec@example.org")
    msg = exec_mail.message
    assert msg["From"] == SENDER and msg["Auto-Submitted"] == "auto-generated"
    assert msg["Subject"].startswith("PMO alert: Milestones on time") and "Retail" in msg["Subject"]
    p = parts(msg)
    assert set(p["attachments"]) == {f"pmo-review-{END_MONTH}.pptx", f"pmo-review-{END_MONTH}.html"}
    deck = pptx_text(p["attachments"][f"pmo-review-{END_MONTH}.pptx"])
    assert "Monthly performance review — October 2026" in deck and "Business unit: Retail" in deck
    pack_html = p["attachments"][f"pmo-review-{END_MONTH}.html"].decode("utf-8")
    assert "<script src" not in pack_html and "<link " not in pack_html

    # The digest: no external references, every link to the dashboard under the subscriber's view.
    refs = html_references(p["html"])
    assert not refs.references and not {"img", "script", "link", "iframe", "object", "embed", "form"} & set(refs.tags)
    assert refs.links and all(link.startswith(DASHBOARD + "/") for link in refs.links)
    for link in refs.links:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
        assert query["as_of"] == [END_MONTH] and query["business_unit"] == [ALLOWED], link

    # The figures are the engine's under the subscriber's scope, line by line.
    con = open_readonly(dist_demo["db"])
    try:
        scoped = kpis.compare_kpis(cursor_for(con), Filters(as_of=END_MONTH, business_units=(ALLOWED,))).set_index("id")
        everyone = kpis.compare_kpis(cursor_for(con), Filters(as_of=END_MONTH)).set_index("id")
    finally:
        con.close()
    lines = p["text"].splitlines()
    for kpi in ("rag_red_share", "milestone_on_time_rate", "spi", "cpi"):
        [line] = [ln for ln in lines if ln.startswith(scoped.loc[kpi, "label"] + " ")]
        assert scoped.loc[kpi, "formatted"] in line, (kpi, line)
    assert any(scoped.loc[k, "formatted"] != everyone.loc[k, "formatted"] for k in ("rag_red_share", "spi", "cpi"))

    # Nothing of another business unit in any message, attachments and webhook payloads included …
    texts = {r.recipients[0]: message_text(r.message) for r in mail.handler.received}
    texts["slack"] = json.dumps(webhook_server.to("/slack"), ensure_ascii=False)
    texts["teams"] = json.dumps(webhook_server.to("/teams"), ensure_ascii=False)
    for who, text in texts.items():
        if who != "boss@example.org":
            assert not leaks(text, dist_demo["projects"]), who
    # … while the subscriber who sees every unit does get them (the check can fail).
    assert leaks(texts["boss@example.org"], dist_demo["projects"])

    # The project manager's chase list: their Retail project only, its name inert everywhere.
    [pm_mail] = mail.handler.to("gj@example.org")
    pm = parts(pm_mail.message)
    assert HOSTILE_PROJECT in pm["text"] and HOSTILE_NAME in pm["text"] and "No status report yet" in pm["text"]
    assert "<img" not in pm["html"] and "&lt;img src=x onerror=alert(1)&gt;" in pm["html"]
    assert "img" not in html_references(pm["html"]).tags
    assert any(f"project={HOSTILE_PROJECT}" in link for link in html_references(pm["html"]).links)


def test_webhook_payloads_follow_the_services_formats_and_keep_names_inert(dist_demo, store, webhook_server):
    secrets = _scoped(
        channel={"slack": webhook_server.url("/slack"), "send": ["digest", "chase_list"], "business_units": [ALLOWED],
                 "project_manager": MANAGER},
        room={"teams": webhook_server.url("/teams"), "send": ["chase_list", "pack"], "business_units": [ALLOWED],
              "project_manager": MANAGER})
    report = _send(dist_demo, store, settings_for(), secrets)
    assert report.exit_code == 0, report.lines()
    [(_, headers, _)] = [r for r in webhook_server.requests if r[0] == "/slack"]
    assert headers["Content-Type"].startswith("application/json")

    [slack] = webhook_server.to("/slack")
    assert slack["blocks"][0]["type"] == "header" and len(slack["blocks"]) <= 50
    assert "<!channel>" not in json.dumps(slack["text"])
    texts = [b["text"] for b in slack["blocks"] if "text" in b] + [
        e for b in slack["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert any(HOSTILE_NAME in t["text"] for t in texts)
    assert all(t["type"] == "plain_text" for t in texts)             # nothing from the data is mrkdwn
    buttons = [e for b in slack["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons and all(e["url"].startswith(DASHBOARD) for e in buttons)

    [teams] = webhook_server.to("/teams")
    assert teams["type"] == "message"
    [attachment] = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    # Text goes in TextRuns, which do not read Markdown: "[x](https://evil.example)" stays text.
    assert {e["type"] for e in card["body"]} == {"RichTextBlock"}
    runs = [i["text"] for e in card["body"] for i in e["inlines"]]
    assert any(HOSTILE_NAME in r for r in runs)
    actions = {a["title"]: a["url"] for a in card["actions"]}
    assert set(actions) == {"Open the dashboard", "Open the monthly review", "Open data quality"}
    assert urllib.parse.urlsplit(actions["Open the monthly review"]).path == "/dash/monthly_review"
    assert all(not leaks(json.dumps(b, ensure_ascii=False), dist_demo["projects"]) for b in (slack, teams))


def test_a_digest_link_opens_that_view_on_the_dashboard(dist_demo, store, smtp_server, monkeypatch):
    from streamlit.testing.v1 import AppTest

    mail = smtp_server()
    secrets = _scoped(exec={"email": "exec@example.org", "send": ["digest"]})
    assert _send(dist_demo, store, settings_for(smtp_port=mail.port), secrets).exit_code == 0
    link = html_references(parts(mail.handler.received[0].message)["html"]).links[-1]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    monkeypatch.setenv("PMO_DB", str(dist_demo["db"]))
    monkeypatch.setenv("PMO_BUILD_DEMO_WHEN_EMPTY", "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params.update({k: v for k, v in query.items()})
    at.run()
    assert not at.exception
    assert at.selectbox(key="f_as_of").value == END_MONTH
    assert at.multiselect(key="f_business_unit").value == [ALLOWED]


# -- idempotency ---------------------------------------------------------------------------------------------

def test_each_subscription_month_and_load_is_sent_once(dist_demo, store, smtp_server, webhook_server):
    mail = smtp_server()
    settings = settings_for(smtp_port=mail.port)
    secrets = _secrets(a={"email": "a@example.org"}, b={"slack": webhook_server.url("/b")},
                       c={"email": "c@example.org", "resend_on_reload": False},
                       quiet={"email": "q@example.org", "send": ["alerts"], "alerts": [{"kpi": "cpi", "below": 0.01}]})
    first = _send(dist_demo, store, settings, secrets)
    assert _statuses(first) == {"a": "sent", "b": "sent", "c": "sent", "quiet": "nothing to send"}
    again = _send(dist_demo, store, settings, secrets)
    assert set(_statuses(again).values()) == {"already sent"}
    assert len(mail.handler.received) == 2 and len(webhook_server.requests) == 1
    assert {r.subscription: r.status for r in send_log(store)} == {"a": "sent", "b": "sent", "c": "sent",
                                                                   "quiet": "nothing"}
    # A later load of the same month sends again, except where the subscription says not to.
    from pmo_metrics.warehouse import load_batch

    reload_db = dist_demo["tmp"] / "reloaded.duckdb"
    if not reload_db.exists():
        assert load_batch(dist_demo["tmp"] / "demo", reload_db).ok
    after = send_due(reload_db, store, settings, secrets, sleep=lambda s: None)
    assert _statuses(after) == {"a": "sent", "b": "sent", "c": "already sent", "quiet": "nothing to send"}
    assert after.load_id != first.load_id


def test_two_runs_at_once_send_each_message_once(dist_demo, store_url, smtp_server):
    import threading

    mail = smtp_server()
    settings = settings_for(smtp_port=mail.port)
    secrets = _secrets(**{f"s{i}": {"email": f"s{i}@example.org"} for i in range(6)})
    reports = []

    def one_run():
        store = AppState.open(store_url)
        try:
            reports.append(send_due(dist_demo["db"], store, settings, secrets, sleep=lambda s: None))
        finally:
            store.close()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(reports) == 2 and all(r.exit_code == 0 for r in reports), [r.lines() for r in reports]
    assert sorted(r.recipients[0] for r in mail.handler.received) == [f"s{i}@example.org" for i in range(6)]
    for i in range(6):
        assert sorted(_statuses(r)[f"s{i}"] for r in reports) in (["already sent", "sent"], ["busy", "sent"])


def test_a_send_killed_half_way_is_finished_by_the_next_run(dist_demo, store_url, smtp_server, tmp_path):
    """A real `send` process is killed (SIGKILL) while the third of four messages is in flight;
    the next run sends the third and fourth, and nothing twice."""
    mail = smtp_server()
    mail.handler.hold = "c@example.org"
    subs = write_toml(tmp_path / "subscriptions.toml", "".join(
        f'[subscriptions.{n}]\nemail = "{n}@example.org"\n\n' for n in "abcd"))
    env = {**os.environ, "PMO_DB": str(dist_demo["db"]), "PMO_APP_STATE_URL": store_url,
           "PMO_SUBSCRIPTIONS_FILE": str(subs), "PMO_SMTP_HOST": "127.0.0.1", "PMO_SMTP_PORT": str(mail.port),
           "PMO_SMTP_SECURITY": "none", "PMO_MAIL_FROM": SENDER, "PMO_DASHBOARD_URL": DASHBOARD,
           "PMO_SEND_RETRY_MS": "10", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "pmo_metrics.distribution", "send"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert mail.handler.held.wait(120), proc.stderr.read() if proc.poll() is not None else "never reached c"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        mail.handler.release.set()
    assert proc.returncode == -signal.SIGKILL
    assert [r.recipients[0] for r in mail.handler.received] == ["a@example.org", "b@example.org"]
    store = AppState.open(store_url)
    try:
        # c was in flight and d claimed when the process died: both are taken over at once.
        assert {r.subscription: r.status for r in send_log(store)} == {"a": "sent", "b": "sent", "c": "sending",
                                                                       "d": "sending"}
        mail.handler.hold = None
        settings = settings_for(smtp_port=mail.port, subscriptions_file=str(subs))
        report = send_due(dist_demo["db"], store, settings, {}, sleep=lambda s: None)
        assert _statuses(report) == {"a": "already sent", "b": "already sent", "c": "sent", "d": "sent"}
        assert sorted(r.recipients[0] for r in mail.handler.received) == [f"{n}@example.org" for n in "abcd"]
        assert {r.subscription: r.status for r in send_log(store)} == dict.fromkeys("abcd", "sent")
    finally:
        store.close()


# -- failures: each reported in one line, none blocking the others --------------------------------------------

def test_a_mail_server_that_is_down_is_retried_then_reported_and_sent_next_time(dist_demo, store, smtp_server,
                                                                                 webhook_server):
    from support import free_port

    port = free_port()
    settings = settings_for(smtp_port=port, send_attempts=3, send_retry_ms=10)
    secrets = _secrets(mail={"email": "m@example.org"}, hook={"slack": webhook_server.url("/ok")})
    report = _send(dist_demo, store, settings, secrets)
    assert report.exit_code == 4
    assert _statuses(report) == {"mail": "failed", "hook": "sent"}
    [failed] = [o for o in report.outcomes if o.failed]
    assert failed.attempts == 3 and report.sleeps == [0.01, 0.02]
    assert failed.line().startswith(f"mail: failed — gave up after 3 attempts: cannot reach the mail server "
                                    f"127.0.0.1:{port}")
    assert "\n" not in failed.line()
    [logged] = send_log(store, "mail")
    assert (logged.status, logged.attempts) == ("failed", 3)

    mail = smtp_server(port=port)
    again = _send(dist_demo, store, settings, secrets)
    assert _statuses(again) == {"mail": "sent", "hook": "already sent"} and again.exit_code == 0
    assert len(mail.handler.to("m@example.org")) == 1


def test_a_refused_login_is_reported_at_once_and_not_retried(dist_demo, store, smtp_server, certificate,
                                                             webhook_server):
    server_tls, ca_file = certificate
    mail = smtp_server(credentials=("pmo", "right"), tls=server_tls)
    settings = settings_for(smtp_port=mail.port, smtp_security="starttls", smtp_ca_file=ca_file)
    secrets = {**_secrets(m={"email": "m@example.org"}, h={"teams": webhook_server.url("/t")}),
               "smtp": {"username": "pmo", "password": "wrong"}}
    report = _send(dist_demo, store, settings, secrets)
    assert _statuses(report) == {"m": "failed", "h": "sent"} and report.exit_code == 4
    [failed] = [o for o in report.outcomes if o.failed]
    assert failed.attempts == 1 and report.sleeps == []
    assert "refused the login of 'pmo' (535" in failed.line()
    assert not mail.handler.received


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "ssl"])
def test_encrypted_delivery_with_a_login(dist_demo, store, smtp_server, certificate, implicit):
    server_tls, ca_file = certificate
    mail = smtp_server(credentials=("pmo", "s3cret"), tls=server_tls, implicit_tls=implicit)
    settings = settings_for(smtp_port=mail.port, smtp_security="ssl" if implicit else "starttls",
                            smtp_ca_file=ca_file)
    env = {"PMO_SMTP_USERNAME": "pmo", "PMO_SMTP_PASSWORD": "s3cret"}
    report = _send(dist_demo, store, settings, _secrets(m={"email": "m@example.org"}), environ=env)
    assert _statuses(report) == {"m": "sent"}, report.lines()
    assert len(mail.handler.to("m@example.org")) == 1
    # Without the company CA the server's certificate is not trusted: refused, not retried.
    untrusted = send_due(dist_demo["db"], store, settings_for(smtp_port=mail.port, smtp_security=settings.smtp_security),
                         _secrets(n={"email": "n@example.org"}), environ=env, sleep=lambda s: None)
    assert untrusted.outcomes[0].status == "failed" and "certificate is not trusted" in untrusted.outcomes[0].detail


def test_a_rejected_address_fails_alone_and_a_greylisted_one_is_retried(dist_demo, store, smtp_server):
    mail = smtp_server()
    mail.handler.reject = {"bounce@example.org"}
    mail.handler.tempfail = {"grey@example.org": 1}
    secrets = _secrets(bounce={"email": "bounce@example.org"}, grey={"email": "grey@example.org"},
                       fine={"email": "fine@example.org"})
    report = _send(dist_demo, store, settings_for(smtp_port=mail.port), secrets)
    assert _statuses(report) == {"bounce": "failed", "grey": "sent", "fine": "sent"}
    lines = {o.name: o for o in report.outcomes}
    assert lines["bounce"].line() == ("bounce: failed — the mail server refused the address bounce@example.org "
                                      "(550 5.1.1 no such mailbox)")
    assert lines["bounce"].attempts == 1 and lines["grey"].attempts == 2 and lines["grey"].line().endswith("(attempt 2)")
    assert mail.handler.rcpt_seen.count("bounce@example.org") == 1      # a 5xx is never retried
    assert [len(mail.handler.to(a)) for a in ("grey@example.org", "fine@example.org")] == [1, 1]


def test_a_webhook_answering_500_then_200_is_retried(dist_demo, store, webhook_server):
    webhook_server.script = {"/flaky": [500, 200], "/gone": [404]}
    secrets = _secrets(flaky={"slack": webhook_server.url("/flaky")}, gone={"teams": webhook_server.url("/gone")})
    report = _send(dist_demo, store, settings_for(), secrets)
    assert _statuses(report) == {"flaky": "sent", "gone": "failed"}
    first, second = webhook_server.to("/flaky")
    assert first == second                                              # the same message, again
    [gone] = [o for o in report.outcomes if o.failed]
    assert gone.line() == f"gone: failed — http://127.0.0.1:{webhook_server.port}/… answered 404 (invalid_payload)"
    assert gone.attempts == 1 and len(webhook_server.to("/gone")) == 1
    assert {r.subscription: (r.status, r.attempts) for r in send_log(store)} == {"flaky": ("sent", 2),
                                                                                 "gone": ("failed", 1)}


# -- dry run and the command ---------------------------------------------------------------------------

def test_a_dry_run_writes_every_message_and_sends_nothing(dist_demo, store, tmp_path, webhook_server):
    import email
    import email.policy

    secrets = _scoped(exec={"email": "exec@example.org", "send": ["digest", "pack"]},
                       room={"teams": webhook_server.url("/t"), "business_units": [ALLOWED]})
    report = send_due(dist_demo["db"], store, settings_for(smtp_port=1), secrets, dry_run_dir=tmp_path / "out")
    assert _statuses(report) == {"exec": "written", "room": "written"} and report.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"exec-{END_MONTH}.eml", f"room-{END_MONTH}.json"]
    msg = email.message_from_bytes((tmp_path / "out" / f"exec-{END_MONTH}.eml").read_bytes(), policy=email.policy.default)
    assert msg["To"] == "exec@example.org" and f"pmo-review-{END_MONTH}.pptx" in parts(msg)["attachments"]
    card = json.loads((tmp_path / "out" / f"room-{END_MONTH}.json").read_text(encoding="utf-8"))
    assert card["attachments"][0]["content"]["type"] == "AdaptiveCard"
    assert not webhook_server.requests and send_log(store) == []


def _args(*argv):
    import argparse

    parser = argparse.ArgumentParser()
    add_send_command(parser.add_subparsers(dest="command"))
    return parser.parse_args(["send", *argv])


def test_the_send_command_reports_one_line_per_subscriber_and_an_exit_code(dist_demo, tmp_path, smtp_server, capsys):
    mail = smtp_server()
    env = {"PMO_DB": str(dist_demo["db"]), "PMO_APP_STATE_URL": f"sqlite:///{tmp_path / 's.sqlite'}",
           "PMO_SMTP_HOST": "127.0.0.1", "PMO_SMTP_PORT": str(mail.port), "PMO_SMTP_SECURITY": "none",
           "PMO_MAIL_FROM": SENDER}
    secrets = _secrets(good={"email": "g@example.org"}, typo={"email": "t@example.org", "bussiness_units": ["X"]},
                       other={"email": "o@example.org"})
    assert run_send(_args(), secrets=secrets, environ=env) == 2
    out, err = capsys.readouterr()
    assert "error: subscription 'typo': bussiness_units: unknown key" in err
    assert "note: dashboard_url is not set" in err
    assert "good: sent — digest to g@example.org" in out and "other: sent" in out
    assert sorted(r.recipients[0] for r in mail.handler.received) == ["g@example.org", "o@example.org"]

    assert run_send(_args("--only", "good"), secrets=secrets, environ=env) == 2   # typo is still malformed
    assert "good: already sent" in capsys.readouterr().out
    assert run_send(_args("--only", "nobody"), secrets={**SECRETS, "subscriptions": {}}, environ=env) == 2
    assert "error: --only nobody: there is no usable subscription of that name" in capsys.readouterr().err
    assert run_send(_args("--as-of", "2031-01"), secrets=secrets, environ=env) == 2
    assert capsys.readouterr().err.startswith("error: the warehouse holds no data for 2031-01 (it holds ")
    assert run_send(_args("--db", str(tmp_path / "none.duckdb")), secrets=secrets, environ=env) == 2
    assert "error: no database at" in capsys.readouterr().err
    bad = {**env, "PMO_SMTP_SECURITY": "tls"}
    assert run_send(_args("--only", "good", "--as-of", "2026-09"), secrets=secrets, environ=bad) == 4
    assert "good: failed — smtp_security is 'tls': use starttls, ssl or none" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _args("--as-of", "October")


def test_the_command_registers_beside_others_sharing_their_options(dist_demo, tmp_path, capsys):
    import argparse

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path)
    common.add_argument("--quiet", action="store_true")
    parser = argparse.ArgumentParser()
    add_send_command(parser.add_subparsers(dest="command"), parents=(common,))
    args = parser.parse_args(["send", "--db", str(dist_demo["db"]), "--quiet", "--dry-run", str(tmp_path / "d")])
    env = {"PMO_APP_STATE_URL": f"sqlite:///{tmp_path / 's.sqlite'}"}
    assert args.func(args, secrets={"subscriptions": {"x": {"email": "x@example.org"}}}, environ=env) == 4
    out, err = capsys.readouterr()
    assert out.startswith(f"{END_MONTH} (load ") and "1 failed" in out    # --quiet: the summary only
    assert "x: failed — mail_from is not set" in err
