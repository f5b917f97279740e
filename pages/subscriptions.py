"""Subscriptions: who receives the what-changed digest, the monthly pack, alerts and chase lists, by
e-mail or in a Teams or Slack channel, within which business units — and what was sent.

Subscriptions come from `.streamlit/secrets.toml`, the file the `subscriptions_file` setting names,
and this page; the ones added here live in the app-state store, and only those can be edited here.
`python -m pmo_metrics send` (from cron or a systemd timer, docs/distribution.md) sends what is due.
Managing subscriptions is for PMO leads who see every unit, behind the Data loads page's password: a
subscription decides which figures leave the dashboard.
"""
import os

import streamlit as st

from pages import _widgets as ui
from pages._cache import app_state
from pages._context import identity, secrets
from pmo_metrics import access
from pmo_metrics import metrics as registry
from pmo_metrics.appstate import AppStateError
from pmo_metrics.distribution import manage
from pmo_metrics.distribution.store import add_subscription, delete_subscription, edit_subscription, \
    stored_subscriptions
from pmo_metrics.distribution.subscriptions import (
    ALERT_STATUSES, ALL_UNITS, CONTENTS, DEFAULT_DIGEST_KPIS, PACK_FORMATS,
)

CHANNELS = {"email": "E-mail address", "teams_env": "Teams webhook (environment variable)",
            "slack_env": "Slack webhook (environment variable)", "teams": "Teams webhook address",
            "slack": "Slack webhook address"}

ctx = ui.header("Subscriptions", "Who receives the digest, the pack, alerts and chase lists, and what was sent.")
expected = access.data_loads_password(secrets(), os.environ)
if ctx.scope.restricted:
    ui.empty("Subscriptions are managed by a PMO lead who sees every business unit.")
    st.stop()
if expected is None:
    st.info("Managing subscriptions is switched off: no PMO-lead password is configured (`password` under "
            "`[data_loads]` in `.streamlit/secrets.toml`, or `PMO_DATA_LOADS_PASSWORD`). Subscriptions can "
            "still be written in secrets.toml or the subscriptions file (docs/distribution.md).",
            icon=":material/lock:")
    st.stop()
if not ui.pmo_lead_unlocked(expected, "Subscriptions are for PMO leads: enter the PMO-lead password (the one of "
                            "the Data loads page).", "subscriptions_password"):
    st.stop()
try:
    store = app_state(ctx.settings.store_url)
except AppStateError as exc:
    ui.empty(f"Subscriptions are not available: {ui.esc(exc)}")
    st.stop()

listed, problems = manage.overview(secrets(), ctx.settings.subscriptions_file, store)
for problem in problems:
    st.warning(ui.esc(problem), icon=":material/warning:")
st.subheader("Every subscription")
ui.table(listed, "Subscriptions", key="subscriptions",
         empty_message="No subscription yet: add one below, or in secrets.toml or the subscriptions file.",
         columns={"name": ui.text_col("Name"), "origin": ui.text_col("Defined in"), "channel": ui.text_col("Channel"),
                  "recipient": ui.text_col("Recipient", width="medium"), "sends": ui.text_col("Sends", width="medium"),
                  "scope": ui.text_col("Business units"), "enabled": ui.check_col("Enabled")})

stored = {s.name: s for s in stored_subscriptions(store)}
st.subheader("Add or change a subscription")
picked = st.selectbox("Subscription", ["(a new one)", *stored], key="subscription_pick",
                      help="Only the subscriptions added on this page can be changed here.")
current = stored[picked].definition if picked in stored else {}
units = sorted(set((ctx.options.get("business_units") or [])))
kpi_ids = list(registry.METRICS)

with st.form(f"subscription_form_{ui.key_suffix(picked)}"):
    name = st.text_input("Name", value=picked if picked in stored else "", disabled=picked in stored,
                         key="subscription_name", help="Letters, digits, '.', '_' or '-'.")
    kind = next((k for k in CHANNELS if k in current), "email")
    channel = st.selectbox("Channel", list(CHANNELS), index=list(CHANNELS).index(kind), format_func=CHANNELS.get,
                           key="subscription_channel")
    address = st.text_input("Address or variable name", value=str(current.get(kind, "")), key="subscription_address",
                            help="An e-mail address; for a webhook, the name of the environment variable that "
                                 "holds its address on the machine that sends, or the address itself.")
    send = st.multiselect("Sends", CONTENTS, default=current.get("send", ["digest"]),
                          format_func=manage.CONTENT_WORDS.get, key="subscription_send")
    pack_formats = st.multiselect("Pack formats", PACK_FORMATS, default=current.get("pack_formats", ["pptx"]),
                                  key="subscription_formats")
    kpis = st.multiselect("KPIs in the digest", kpi_ids, default=current.get("kpis", list(DEFAULT_DIGEST_KPIS)),
                          format_func=lambda k: registry.get(k).label, key="subscription_kpis")
    alert_kpis = st.multiselect("Alert when one of these KPIs turns …", kpi_ids,
                                default=[a["kpi"] for a in current.get("alerts", [])],
                                format_func=lambda k: registry.get(k).label, key="subscription_alert_kpis")
    alert_status = st.radio("… this status or worse", ALERT_STATUSES, horizontal=True, key="subscription_alert_status",
                            index=ALERT_STATUSES.index(next((a.get("status") for a in current.get("alerts", [])
                                                             if a.get("status")), "red")))
    chosen_units = st.multiselect("Business units (none: as the recipient's own scope)", [ALL_UNITS, *units],
                                  default=current.get("business_units", []), key="subscription_units",
                                  format_func=lambda u: "every unit" if u == ALL_UNITS else u)
    manager = st.text_input("Project manager (for a chase list)", value=current.get("project_manager", ""),
                            key="subscription_manager")
    enabled = st.checkbox("Enabled", value=current.get("enabled", True), key="subscription_enabled")
    saved = st.form_submit_button("Save subscription", icon=":material/save:")

if saved:
    definition = manage.definition(
        channel=channel, address=address, send=send, pack_formats=pack_formats, kpis=kpis,
        alerts=[{"kpi": k, "status": alert_status} for k in alert_kpis], business_units=chosen_units,
        project_manager=manager, enabled=enabled)
    try:
        if picked in stored:
            edit_subscription(store, picked, definition, identity())
        else:
            add_subscription(store, name.strip(), definition, identity())
    except AppStateError as exc:
        st.error(f"Not saved: {ui.esc(exc)}")
    else:
        st.success(f"Saved “{ui.esc(picked if picked in stored else name.strip())}”.")
        st.rerun()

if picked in stored and st.button(f"Delete “{picked}”", icon=":material/delete:", key="subscription_delete"):
    try:
        delete_subscription(store, picked)
    except AppStateError as exc:
        st.error(ui.esc(exc))
    else:
        st.rerun()

st.subheader("What was sent")
ui.table(manage.sent(store), "Send log", key="send_log",
         empty_message="Nothing sent yet: `python -m pmo_metrics send` sends what is due.",
         columns={"subscription": ui.text_col("Subscription"), "month": ui.text_col("Month"),
                  "status": ui.text_col("Status"), "attempts": ui.count_col("Attempts"),
                  "channel": ui.text_col("Channel"), "recipient": ui.text_col("Recipient", width="medium"),
                  "claimed_at": ui.datetime_col("Started"), "finished_at": ui.datetime_col("Finished"),
                  "detail": ui.text_col("Detail", width="large")})
