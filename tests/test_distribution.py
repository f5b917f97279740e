"""Subscriptions (every way one can be written wrong, one line each), the stored subscriptions and
the send log on SQLite and PostgreSQL, alerts worked out by hand, links, escaping, settings and
documentation of the delivery layer."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from distribution_support import DASHBOARD, SECRETS, dist_demo, settings_for, write_toml  # noqa: F401
from test_appstate import store_url  # noqa: F401 — the SQLite / PostgreSQL store fixture

from pmo_metrics import settings as settings_module
from pmo_metrics.access import NO_UNIT
from pmo_metrics.appstate import AppState, AppStateError, _alembic_config
from pmo_metrics.distribution import store as st
from pmo_metrics.distribution.alerts import evaluate_alerts
from pmo_metrics.distribution.compose import ContentError, Run
from pmo_metrics.distribution.links import PAGE_PATHS, dashboard_link
from pmo_metrics.distribution.smtp import SmtpConfigError, smtp_config
from pmo_metrics.distribution.subscriptions import (
    ALERT_KEYS, KEYS, Alert, SubscriptionError, check_webhook_url, collect_subscriptions, parse_subscription,
)
from pmo_metrics.distribution.webhooks import slack_escape
from pmo_metrics.filters import Filters

ROOT = Path(__file__).resolve().parents[1]
DELIVERY_SETTINGS = ("dashboard_url", "subscriptions_file", "mail_from", "smtp_host", "smtp_port", "smtp_security",
                     "smtp_ca_file", "send_timeout_seconds", "send_attempts", "send_retry_ms",
                     "send_claim_timeout_seconds")
HOOK = "https://hooks.slack.com/services/T000/B000/secret-token"


# -- subscriptions ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("table, message", [
    ({}, r"'s1': email: give exactly one of email, teams, slack, teams_env or slack_env"),
    ({"email": "a@example.org", "slack": HOOK}, r"'s1': email: give exactly one of"),
    ({"email": "not an address"}, r"'s1': email: 'not an address' is not an e-mail address"),
    ({"email": "Boss <b@example.org>"}, r"'s1': email: .* is not an e-mail address"),
    ({"email": "a@example.org\nBcc: x@evil.example"}, r"'s1': email: must be one line of text"),
    ({"email": "a@example.org", "bussiness_units": ["Retail"]}, r"'s1': bussiness_units: unknown key"),
    ({"email": "a@example.org", "send": ["digest", "newsletter"]}, r"'s1': send: 'newsletter' is not one of digest"),
    ({"email": "a@example.org", "send": []}, r"'s1': send: name at least one of"),
    ({"email": "a@example.org", "send": "digest", "kpis": ["cpi", "cpx"]}, r"'s1': kpis: 'cpx' is not a KPI id"),
    ({"email": "a@example.org", "kpis": "cpi, spi"}, r"'s1': kpis: 'cpi, spi' is not a KPI id"),
    ({"email": "a@example.org", "send": ["pack"], "pack_formats": ["pdf"]}, r"'s1': pack_formats: 'pdf' is not one"),
    ({"email": "a@example.org", "send": ["alerts"]}, r"'s1': alerts: send names alerts but none is given"),
    ({"email": "a@example.org", "alerts": [{"kpi": "cpi", "status": "red"}]}, r"'s1': send: alerts are given but"),
    ({"email": "a@example.org", "send": ["alerts"], "alerts": [{"kpi": "eac", "status": "amber"}]},
     r"'s1': alerts\[0\].status: eac has no RAG thresholds; use above or below"),
    ({"email": "a@example.org", "send": ["alerts"], "alerts": [{"kpi": "cpi", "status": "orange"}]},
     r"'s1': alerts\[0\].status: must be one of amber, red"),
    ({"email": "a@example.org", "send": ["alerts"], "alerts": [{"kpi": "cpi", "status": "red", "below": 0.9}]},
     r"'s1': alerts\[0\]: give exactly one of status, above or below"),
    ({"email": "a@example.org", "send": ["alerts"], "alerts": [{"kpi": "rag_red_share", "above": 20}]},
     r"'s1': alerts\[0\].above: rag_red_share is a share: write it as a fraction"),
    ({"email": "a@example.org", "send": ["alerts"], "alerts": [{"kpi": "cpi", "below": "0.9"}]},
     r"'s1': alerts\[0\].below: must be a number"),
    ({"email": "a@example.org", "send": ["alerts"], "alerts": [{"kpi": "cpi", "below": 1, "when": "x"}]},
     r"'s1': alerts\[0\].when: unknown key"),
    ({"email": "a@example.org", "send": ["alerts"], "alerts": ["cpi"]}, r"'s1': alerts\[0\]: must be a table"),
    ({"email": "a@example.org", "send": ["chase_list"]}, r"'s1': project_manager: a chase list needs"),
    ({"email": "a@example.org", "user": "a@example.org", "business_units": ["Retail"]},
     r"'s1': business_units: give user .* or business_units, not both"),
    ({"email": "a@example.org", "business_units": "Retail, Logistics"}, None),
    ({"email": "a@example.org", "business_units": [1, 2]}, r"'s1': business_units: must be a list of texts"),
    ({"email": "a@example.org", "enabled": "no"}, r"'s1': enabled: must be true or false"),
    ({"slack": "http://hooks.slack.com/services/x"}, r"'s1': slack: http://hooks.slack.com/… must be https://"),
    ({"teams": "ftp://x.example/y"}, r"'s1': teams: ftp://x.example/… is not an https:// URL"),
    ({"teams": "https://user:pw@x.example/y"}, r"'s1': teams: https://x.example/… must not carry a user name"),
    ({"slack_env": "not a name"}, r"'s1': slack_env: 'not a name' is not the name of an environment variable"),
    ({"slack_env": "PMO_TEST_UNSET_HOOK"}, r"'s1': slack_env: the environment variable PMO_TEST_UNSET_HOOK is not set"),
])
def test_a_malformed_subscription_is_one_line_naming_it_and_the_key(table, message):
    if message is None:   # a single text is taken as a list of one
        assert parse_subscription("s1", table, environ={}).business_units == ("Retail, Logistics",)
        return
    with pytest.raises(SubscriptionError, match=f"^subscription {message}") as info:
        parse_subscription("s1", table, environ={})
    assert "\n" not in str(info.value)
    assert "secret-token" not in str(info.value)       # a webhook's secret never shows


def test_names_and_tables_are_checked_too():
    with pytest.raises(SubscriptionError, match=r"^subscription 'a b': its name must be"):
        parse_subscription("a b", {"email": "a@example.org"})
    with pytest.raises(SubscriptionError, match=r"^subscription 'x': must be a table"):
        parse_subscription("x", "a@example.org")


def test_a_subscription_has_sensible_defaults():
    sub = parse_subscription("cfo", {"email": "cfo@example.org"})
    assert (sub.channel, sub.send, sub.pack_formats, sub.resend_on_reload, sub.enabled) == (
        "email", ("digest",), ("pptx",), True, True)
    assert sub.kpis[0] == "active_projects" and sub.alerts == ()
    hook = parse_subscription("room", {"slack_env": "HOOK"}, environ={"HOOK": HOOK})
    assert hook.address == HOOK and hook.recipient == "https://hooks.slack.com/…"
    alerts = parse_subscription("a", {"email": "a@example.org", "send": ["alerts"], "alerts": [
        {"kpi": "cpi", "status": "amber"}, {"kpi": "rag_red_share", "above": 0.2, "new_only": True}]}).alerts
    assert alerts == (Alert("cpi", "amber"), Alert("rag_red_share", above=0.2, new_only=True))
    assert [a.describe() for a in alerts] == ["Cost performance index (CPI) amber or worse", "Red projects above 20.0 %"]


def test_subscriptions_come_from_secrets_a_file_and_the_store(tmp_path):
    path = write_toml(tmp_path / "subs.toml", '[subscriptions.weekly]\nemail = "w@example.org"\n'
                                              '[subscriptions.room]\nteams = "https://x.example/hook"\n'
                                              '[subscriptions.cfo]\nemail = "other@example.org"\n')
    subs, problems = collect_subscriptions({"subscriptions": {"cfo": {"email": "cfo@example.org"}}}, str(path),
                                           [("stored", {"email": "s@example.org"}), ("broken", {"email": "x"})], {})
    assert [(s.name, s.origin) for s in subs] == [("cfo", "secrets"), ("weekly", f"file {path}"), ("stored", "store")]
    assert problems == [
        "subscription 'room': teams: keep webhook addresses out of files that may be committed: write teams_env = "
        "\"VARIABLE\", or define the subscription in .streamlit/secrets.toml",
        f"subscription 'cfo' is defined in secrets and again in file {path}; the one in secrets is used",
        "subscription 'broken': email: 'x' is not an e-mail address"]


@pytest.mark.parametrize("content, message", [
    (None, "does not exist (setting subscriptions_file)"),
    ("[subscriptions.x\nemail = 1", "is not valid TOML"),
    ("subscriptions = 3", "[subscriptions] must be a table of [subscriptions.NAME] tables"),
])
def test_an_unreadable_subscriptions_file_is_one_line(tmp_path, content, message):
    path = tmp_path / "subs.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    subs, problems = collect_subscriptions({}, str(path), [], {})
    assert subs == [] and len(problems) == 1 and message in problems[0] and "\n" not in problems[0]


def test_the_scope_of_a_subscriber():
    scoped = {"scoping": {"default_user": "boss", "users": {"boss": ["*"], "Exec@Example.org": ["Retail"]}}}
    by_address = parse_subscription("a", {"email": "exec@example.org"})
    assert by_address.scope(scoped).business_units == {"Retail"}          # the address, any case
    assert by_address.scope({}).business_units is None                      # no [scoping]: every unit
    assert parse_subscription("b", {"email": "x@example.org"}).scope(scoped).business_units == frozenset()
    assert parse_subscription("c", {"email": "x@example.org", "user": "boss"}).scope(scoped).business_units is None
    assert parse_subscription("d", {"slack": HOOK}).scope(scoped).business_units == frozenset()   # say it out loud
    assert parse_subscription("e", {"slack": HOOK, "business_units": ["Logistics"]}).scope(scoped).business_units \
        == {"Logistics"}
    assert parse_subscription("f", {"slack": HOOK, "business_units": ["*"]}).scope(scoped).business_units is None


def test_a_subscriber_outside_every_unit_receives_nothing(dist_demo):
    from pmo_metrics.db import cursor_for, open_readonly

    con = open_readonly(dist_demo["db"])
    try:
        run = Run(cursor_for(con), "2026-10", "L", None, settings_for(), SECRETS)
        with pytest.raises(ContentError, match="no business unit in scope: its address is not in"):
            run.compose(parse_subscription("x", {"email": "stranger@example.org"}))
        with pytest.raises(ContentError, match="no business unit in scope: it is not in"):
            run.compose(parse_subscription("y", {"teams": "https://x.example/h"}))
    finally:
        con.close()


# -- the store: stored subscriptions and the send log ---------------------------------------------------------

def test_the_migration_adds_subscriptions_and_the_send_log(store_url):
    from alembic import command

    store = AppState.open(store_url)
    assert AppState.head() == "0002" and store.revision() == "0002"
    assert {"subscriptions", "sends"} <= set(sa.inspect(store.engine).get_table_names())
    with store.engine.begin() as con:
        command.downgrade(_alembic_config(con), "0001")
    assert {"subscriptions", "sends"}.isdisjoint(sa.inspect(store.engine).get_table_names())
    assert "notes" in sa.inspect(store.engine).get_table_names()
    store.upgrade()
    assert store.revision() == "0002"
    store.close()


def test_stored_subscriptions_are_added_edited_listed_and_deleted(store_url):
    store = AppState.open(store_url)
    st.add_subscription(store, "cfo", {"email": "cfo@example.org", "send": ["digest", "pack"]}, "alice")
    with pytest.raises(AppStateError, match="a subscription named 'cfo' exists already"):
        st.add_subscription(store, "cfo", {"email": "x@example.org"}, "bob")
    with pytest.raises(AppStateError, match=r"^subscription 'bad': kpis: 'nope' is not a KPI id"):
        st.add_subscription(store, "bad", {"email": "b@example.org", "kpis": ["nope"]}, "bob")
    with pytest.raises(AppStateError, match="the author must not be empty"):
        st.add_subscription(store, "x", {"email": "x@example.org"}, " ")
    # A variable is checked for its form only: the machine that sends will resolve it.
    st.add_subscription(store, "room", {"teams_env": "PMO_ROOM_HOOK", "business_units": ["Retail"]}, "bob")
    st.edit_subscription(store, "cfo", {"email": "cfo@example.org", "send": ["digest"]}, "carol")
    [cfo, room] = st.stored_subscriptions(store)
    assert (cfo.name, cfo.definition, cfo.author) == ("cfo", {"email": "cfo@example.org", "send": ["digest"]}, "carol")
    assert cfo.updated_at >= cfo.created_at and room.author == "bob"
    with pytest.raises(AppStateError, match="there is no stored subscription named 'nope'"):
        st.edit_subscription(store, "nope", {"email": "x@example.org"}, "a")
    st.delete_subscription(store, "room")
    with pytest.raises(AppStateError, match="there is no stored subscription named 'room'"):
        st.delete_subscription(store, "room")
    assert st.stored_definitions(store) == [("cfo", {"email": "cfo@example.org", "send": ["digest"]})]
    store.close()


def test_the_send_log_lets_one_run_deliver_and_takes_over_abandoned_claims(store_url):
    store = AppState.open(store_url)
    key, lease = st.SendKey("cfo", "2026-10", "L1"), timedelta(minutes=15)
    sub = parse_subscription("cfo", {"email": "cfo@example.org"})
    assert st.claim(store, key, "email", "cfo@example.org", stale_after=lease)
    assert not st.claim(store, key, "email", "cfo@example.org", stale_after=lease)   # held by this live run
    st.record_attempt(store, key)
    st.finish(store, key, "failed", "cannot reach the mail server")
    assert st.delivered(store, sub, key) is None
    assert st.claim(store, key, "email", "cfo@example.org", stale_after=lease)       # a failure is retried
    st.record_attempt(store, key)
    st.finish(store, key, "sent", "digest", "<m@x>")
    assert not st.claim(store, key, "email", "cfo@example.org", stale_after=lease)
    [rec] = st.send_log(store)
    assert (rec.status, rec.attempts, rec.message_id, rec.detail) == ("sent", 2, "<m@x>", "digest")
    assert st.delivered(store, sub, st.SendKey("cfo", "2026-10", "L2")) is None      # a new load is due again
    once = parse_subscription("cfo", {"email": "cfo@example.org", "resend_on_reload": False})
    assert st.delivered(store, once, st.SendKey("cfo", "2026-10", "L2")) == rec

    # Claims of runs that are gone: on this machine at once, elsewhere after the lease.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = st.SendKey("a", "2026-10", "L1")
    assert st.claim(store, gone, "email", "a@x.org", stale_after=lease, owner=f"{socket.gethostname()}:{dead.stdout.strip()}")
    assert st.claim(store, gone, "email", "a@x.org", stale_after=lease)
    elsewhere = st.SendKey("b", "2026-10", "L1")
    assert st.claim(store, elsewhere, "email", "b@x.org", stale_after=lease, owner="other-host:1")
    assert not st.claim(store, elsewhere, "email", "b@x.org", stale_after=lease)
    later = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(minutes=16)
    assert st.claim(store, elsewhere, "email", "b@x.org", stale_after=lease, now=later)
    assert [r.claimed_by for r in st.send_log(store, month="2026-10") if r.subscription != "cfo"] == [st.this_run()] * 2
    with pytest.raises(ValueError, match="sent, failed or nothing"):
        st.finish(store, key, "lost")
    store.close()


# -- alerts, worked out by hand -----------------------------------------------------------------------------

def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in ("value", "previous"):
        frame[col] = pd.Series([r[col] for r in rows], dtype=object)
    frame.attrs.update(as_of="2026-10", previous="2026-09")
    return frame


def test_alerts_fire_at_or_worse_than_asked_and_beyond_a_line():
    from pmo_metrics.metrics import status

    def row(kpi, value, before):
        return {"id": kpi, "value": value, "previous": before, "status": status(kpi, value),
                "previous_status": status(kpi, before)}

    frame = _frame([row("cpi", 0.85, 0.93), row("spi", 0.92, 0.92), row("rag_red_share", 0.25, 0.15),
                    row("milestone_on_time_rate", None, 0.5), row("tcpi", 1.2, 1.2)])
    fired = evaluate_alerts(frame, (
        Alert("cpi", "amber"),                  # red ≥ amber: fires, and it was amber before
        Alert("spi", "red"),                    # amber is better than red: quiet
        Alert("spi", "amber"),                  # amber since September
        Alert("rag_red_share", above=0.2),      # 25 % > 20 %, was 15 %: crossed now
        Alert("rag_red_share", below=0.3),      # 25 % < 30 %, and 15 % was too
        Alert("rag_red_share", below=0.3, new_only=True),
        Alert("milestone_on_time_rate", "amber"),   # an empty figure never fires
        Alert("tcpi", "red", new_only=True),    # red before as well
    ))
    assert [f.text for f in fired] == [
        "Cost performance index (CPI) turned red: 0.85 (was 0.93 in September).",
        "Schedule performance index (SPI) is still amber: 0.92 (was 0.92 in September).",
        "Red projects rose above 20.0 %: 25.0 % (was 15.0 % in September).",
        "Red projects is still below 30.0 %: 25.0 % (was 15.0 % in September).",
    ]
    assert [f.is_new for f in fired] == [False, False, True, False]


# -- links, escaping, configuration ------------------------------------------------------------------------

def test_links_carry_the_view_and_name_real_pages():
    f = Filters(as_of="2026-10", business_units=("Retail", "Logistics & Co"), portfolios=("A",))
    assert dashboard_link(DASHBOARD + "/", f, "project", project="P 1") == (
        f"{DASHBOARD}/project?as_of=2026-10&portfolio=A&business_unit=Logistics+%26+Co&business_unit=Retail"
        "&project=P+1")
    assert dashboard_link(DASHBOARD, Filters(as_of="2026-10", business_units=(NO_UNIT,))) == f"{DASHBOARD}/?as_of=2026-10"
    assert dashboard_link("", f) is None
    pages = {p.stem for p in (ROOT / "pages").glob("*.py")}
    assert {path for path in PAGE_PATHS.values() if path} <= pages and "overview" in pages


def test_the_entry_file_reads_the_parameters_links_write():
    import ast

    from pmo_metrics.distribution.links import FILTER_PARAMS

    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    [params] = [ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                and getattr(n.targets[0], "id", "") == "GLOBAL_PARAMS"]
    assert {p: f for p, (_, f, _) in params.items()} == dict(FILTER_PARAMS)


def test_webhook_addresses_and_slack_text():
    assert check_webhook_url("https://x.webhook.office.com/webhookb2/abc") is None
    assert check_webhook_url("http://127.0.0.1:8080/h") is None          # this machine only
    assert "must be https" in check_webhook_url("http://10.0.0.1/h")
    assert slack_escape("<!channel> & <https://e.x|x>") == "&lt;!channel&gt; &amp; &lt;https://e.x|x&gt;"


@pytest.mark.parametrize("overrides, secrets, env, message", [
    ({"smtp_security": "tls"}, {}, {}, "smtp_security is 'tls': use starttls, ssl or none"),
    ({"smtp_security": "none", "smtp_host": "mail.example.org"}, {}, {},
     "none sends mail unencrypted: allowed only to a server on this machine"),
    ({"mail_from": ""}, {}, {}, "mail_from is not set"),
    ({"smtp_host": " "}, {}, {}, "smtp_host is empty"),
    ({}, {"smtp": {"username": "pmo"}}, {}, "an SMTP user name is set but no password"),
])
def test_mail_settings_that_cannot_work_are_one_line(overrides, secrets, env, message):
    with pytest.raises(SmtpConfigError, match=re.escape(message)):
        smtp_config(settings_for(**overrides), secrets, env)


def test_mail_settings_and_credentials():
    config = smtp_config(settings_for(smtp_security="starttls", smtp_host="mail.example.org", smtp_port=0), {},
                         {"PMO_SMTP_USERNAME": "u", "PMO_SMTP_PASSWORD": "p"})
    assert (config.port, config.username, config.password) == (587, "u", "p")
    config = smtp_config(settings_for(smtp_security="ssl", smtp_port=0), {"smtp": {"username": "s", "password": "q"}},
                         {"PMO_SMTP_USERNAME": "u", "PMO_SMTP_PASSWORD": "p"})
    assert (config.port, config.username, config.password) == (465, "s", "q")     # secrets first


def test_settings_are_appended_and_parsed():
    s = settings_module.load_settings({"PMO_SEND_ATTEMPTS": "2", "PMO_SMTP_PORT": "2525",
                                       "PMO_DASHBOARD_URL": "https://pmo.example.org"})
    assert (s.send_attempts, s.smtp_port, s.dashboard_url, s.smtp_security) == (2, 2525, "https://pmo.example.org",
                                                                               "starttls")
    with pytest.raises(ValueError, match="PMO_SEND_RETRY_MS"):
        settings_module.load_settings({"PMO_SEND_RETRY_MS": "soon"})
    names = [x.name for x in settings_module.SETTINGS]
    assert names[0] == "database_path" and set(DELIVERY_SETTINGS) <= set(names)


def test_every_key_and_setting_is_documented():
    doc = (ROOT / "docs" / "distribution.md").read_text(encoding="utf-8")
    for key in KEYS + ALERT_KEYS:
        assert f"`{key}`" in doc, key
    for s in settings_module.SETTINGS:
        if s.name in DELIVERY_SETTINGS:
            assert f"`{s.name}`" in doc and s.env_var in doc, s.name
    for word in ("OnCalendar", "crontab", "[smtp]", "PMO_SMTP_PASSWORD", "--dry-run", "--only", "--as-of"):
        assert word in doc, word
    example = (ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8")
    assert "[smtp]" in example and "# [subscriptions." in example


def test_the_library_never_imports_streamlit():
    code = ("import sys, pmo_metrics.distribution, pmo_metrics.distribution.cli, pmo_metrics.distribution.__main__; "
            "sys.exit('streamlit' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_note_on_a_kpi_is_its_why_line_for_those_who_see_the_whole_figure(dist_demo, tmp_path):
    from pmo_metrics.db import cursor_for, open_readonly
    from pmo_metrics.distribution.mail import render_html

    store = AppState.open(f"sqlite:///{tmp_path / 'a.sqlite'}")
    store.add_note("kpi", "cpi", "Vendor invoice <booked twice>, reversed in November\nsecond line", "alice",
                   month="2026-10")
    con = open_readonly(dist_demo["db"])
    try:
        run = Run(cursor_for(con), "2026-10", "L", None, settings_for(), {}, store)
        everyone = run.compose(parse_subscription("a", {"email": "a@example.org", "kpis": ["cpi", "spi"]}))
        scoped = run.compose(parse_subscription("b", {"email": "b@example.org", "kpis": ["cpi"],
                                                      "business_units": ["Retail"]}))
    finally:
        con.close()
        store.close()
    whys = {line.metric_id: line.why for line in everyone.digest.lines}
    assert whys["cpi"] == "Note: Vendor invoice <booked twice>, reversed in November"
    assert not whys["spi"].startswith("Note:")
    assert "&lt;booked twice&gt;" in render_html(everyone) and "<booked" not in render_html(everyone)
    assert not scoped.digest.lines[0].why.startswith("Note:")      # a note may speak of any unit's project
