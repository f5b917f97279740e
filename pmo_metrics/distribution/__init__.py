"""Delivery: the digests, the monthly pack, threshold alerts and project managers' chase lists,
pushed to subscribers by e-mail or to Teams and Slack channels, each within its business units.

* `subscriptions` — who receives what: `[subscriptions.NAME]` in secrets.toml, a subscriptions
  file or the app-state store (`store`), checked by one parser;
* `compose` — what one subscriber receives this month, computed under their scope (`digest`,
  `alerts`, `chase`, the pack of `pmo_metrics.report`);
* `mail`, `smtp`, `webhooks` — the same bundle as an e-mail or a Teams/Slack card, and delivery;
* `scheduler` — `send_due`, idempotent through the send log; `cli` — the `send` command.

Nothing runs at import time; no module here imports streamlit.
"""
from .scheduler import DistributionError, Outcome, SendReport, send_due
from .store import (
    add_subscription, delete_subscription, edit_subscription, send_log, stored_subscriptions,
)
from .subscriptions import Alert, Subscription, SubscriptionError, collect_subscriptions, parse_subscription

__all__ = ["send_due", "SendReport", "Outcome", "DistributionError", "Subscription", "Alert", "SubscriptionError",
           "parse_subscription", "collect_subscriptions", "add_subscription", "edit_subscription",
           "delete_subscription", "stored_subscriptions", "send_log"]
