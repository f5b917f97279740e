"""The Subscriptions page through Streamlit's AppTest: switched off without a PMO-lead password,
locked until it is given, closed to a scoped viewer; a subscription added, refused with the key
named, changed and deleted; one from secrets.toml listed but not editable; the send log."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

from pmo_metrics.distribution.store import stored_subscriptions

from test_app import APP, LOADS_PASSWORD, TIMEOUT, demo, problems, use_db  # noqa: F401 — shared fixtures
from test_notes_app import store  # noqa: F401 — each test its own app-state store

PAGE = "pages/subscriptions.py"
FORM = "FormSubmitter:subscription_form_{}-Save subscription"


def page(secrets: dict | None = None, unlock: bool = True) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    at.run()
    at.switch_page(PAGE).run()
    if unlock:
        at.text_input(key="subscriptions_password").input(LOADS_PASSWORD).run()
    return at


def plain(text: str) -> str:
    return text.replace("\\", "")


def test_without_a_lead_password_managing_is_switched_off(demo, use_db, store):
    use_db(demo["db"])
    at = page(unlock=False)
    assert not problems(at)
    assert any("switched off" in i.value for i in at.info)
    assert not at.text_input


def test_a_scoped_viewer_cannot_manage_subscriptions(demo, use_db, store):
    use_db(demo["db"], loads=True)
    unit = demo["projects"]["business_unit"].dropna().iloc[0]
    at = page({"scoping": {"default_user": "v@example.org", "users": {"v@example.org": [unit]}}}, unlock=False)
    assert not problems(at)
    assert not at.text_input
    assert any("PMO lead who sees every business unit" in plain(m.value) for m in [*at.markdown, *at.info])


def test_a_lead_adds_changes_and_deletes_a_subscription(demo, use_db, store):
    use_db(demo["db"], loads=True)
    at = page({"subscriptions": {"board": {"email": "board@example.org", "send": ["pack"]}}})
    assert not problems(at), problems(at)
    listed = at.dataframe[0].value
    assert listed[["name", "origin"]].values.tolist() == [["board", "secrets"]]
    assert at.selectbox(key="subscription_pick").options == ["(a new one)"]   # secrets are not edited here

    at.text_input(key="subscription_name").input("cfo")
    at.text_input(key="subscription_address").input("not-an-address")
    at.button(key=FORM.format("(a new one)")).click().run()
    assert any("Not saved" in e.value and "is not an e-mail address" in plain(e.value) for e in at.error)
    assert stored_subscriptions(store) == []

    at.text_input(key="subscription_address").input("cfo@example.org")
    at.multiselect(key="subscription_send").set_value(["digest", "alerts"])
    at.multiselect(key="subscription_alert_kpis").set_value(["cpi"])
    at.button(key=FORM.format("(a new one)")).click().run()
    assert not problems(at), problems(at)
    (sub,) = stored_subscriptions(store)
    assert sub.name == "cfo" and sub.definition["email"] == "cfo@example.org"
    assert sub.definition["send"] == ["digest", "alerts"]
    assert sub.definition["alerts"] == [{"kpi": "cpi", "status": "red"}]
    listed = at.dataframe[0].value
    assert sorted(listed["name"]) == ["board", "cfo"]
    assert listed.set_index("name").loc["cfo", "origin"] == "this page"

    at.selectbox(key="subscription_pick").set_value("cfo").run()
    at.checkbox(key="subscription_enabled").uncheck()
    at.button(key=FORM.format("cfo")).click().run()
    assert stored_subscriptions(store)[0].definition["enabled"] is False

    at.button(key="subscription_delete").click().run()
    assert stored_subscriptions(store) == []


def test_the_send_log_lists_what_was_sent_newest_first(demo, use_db, store):
    from datetime import timedelta

    from pmo_metrics.distribution.store import SendKey, claim, finish, record_attempt

    use_db(demo["db"], loads=True)
    for month, status in (("2026-09", "sent"), ("2026-10", "failed")):
        key = SendKey("board", month, "load-1")
        assert claim(store, key, "email", "board@example.org", stale_after=timedelta(hours=1))
        record_attempt(store, key)
        finish(store, key, status, "" if status == "sent" else "550 mailbox unavailable")
    at = page()
    assert not problems(at)
    log = at.dataframe[-1].value
    assert log[["subscription", "month", "status", "attempts"]].values.tolist() == [
        ["board", "2026-10", "failed", 1], ["board", "2026-09", "sent", 1]]
    assert log.loc[0, "detail"] == "550 mailbox unavailable"
