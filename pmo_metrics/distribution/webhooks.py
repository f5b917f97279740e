"""A bundle as a Teams or Slack incoming-webhook message, and the POST that delivers it.

* Teams (a Workflows "post to a channel when a webhook request is received" URL, or a classic
  incoming webhook): `{"type": "message", "attachments": [{"contentType":
  "application/vnd.microsoft.card.adaptive", "content": <Adaptive Card 1.4>}]}`. Text from the data
  goes in RichTextBlock/TextRun elements, which do not interpret Markdown — a TextBlock or a fact
  would turn a project called `[x](https://…)` into a link.
* Slack: `{"text": <fallback>, "blocks": [...]}` (Block Kit). Text from the data goes in
  `plain_text` objects; the fallback `text` is mrkdwn, so `&`, `<` and `>` are escaped there as
  Slack asks (`<!channel>` would otherwise notify everyone).

A channel carries no files: a pack subscription gets a link to the monthly review page. Limits of
the services (50 blocks, 3,000 characters a Slack section, ~28 KB a Teams card) are kept by
listing a bounded number of items and linking to the rest.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from .compose import Bundle
from .mail import _footer_sentence, _header, _pack_sentence
from .retry import PermanentError, TransientError
from .subscriptions import is_loopback, shown_url
from .text import clean

ADAPTIVE = "application/vnd.microsoft.card.adaptive"
MAX_LINES = 12            # KPI lines, alert lines or chase items a card lists
SLACK_SECTION = 2900      # characters: Slack refuses a section text over 3,000


# -- the message's lines, shared by both services ------------------------------------------------------

def _lines(bundle: Bundle) -> list[tuple[str, list[str]]]:
    """(heading, lines) blocks of plain text, in the order the e-mail shows them."""
    out: list[tuple[str, list[str]]] = []
    if bundle.alerts:
        out.append(("Alerts", [a.text for a in bundle.alerts[:MAX_LINES]]))
    if bundle.digest is not None:
        lines = []
        for line in bundle.digest.lines[:MAX_LINES]:
            word = f" ({line.direction})" if line.direction in ("better", "worse") else ""
            status = f" · {line.status}" if line.status else ""
            lines.append(f"{line.label}: {line.value}  {(line.arrow + ' ' + line.change).strip()}{word}{status}"
                         f" — {line.why}")
        out.append(("Key figures", lines))
        for g in bundle.digest.changes:
            items = [i.text for i in g.items] + ([f"… and {g.more} more on the dashboard"] if g.more else [])
            out.append((g.title, items))
    if bundle.chase is not None:
        items = []
        for p in bundle.chase:
            items += [f"{p.project_name} ({p.project_id}): {i.text}" for i in p.items]
        shown = items[:MAX_LINES]
        if len(items) > len(shown):
            shown.append(f"… and {len(items) - len(shown)} more on the dashboard's data quality page")
        out.append(("Your projects to chase", shown or ["Nothing to chase this month."]))
    if bundle.pack_title is not None:
        out.append(("Monthly pack", [_pack_sentence(bundle)]))
    return out


def _buttons(bundle: Bundle) -> list[tuple[str, str]]:
    found = [("Open the dashboard", bundle.dashboard)]
    if bundle.pack_title is not None:
        found.append(("Open the monthly review", bundle.review_link))
    if bundle.chase:
        found.append(("Open data quality", bundle.quality_link))
    return [(t, u) for t, u in found if u]


# -- Teams -------------------------------------------------------------------------------------------

def _run(text: str, **style) -> dict:
    return {"type": "TextRun", "text": text, **style}


def _rich(*runs: dict, **props) -> dict:
    return {"type": "RichTextBlock", "inlines": list(runs), **props}


def teams_payload(bundle: Bundle) -> dict:
    """The Adaptive Card message a Teams webhook takes."""
    title, sub = _header(bundle)
    body = [_rich(_run(title, weight="Bolder", size="Medium", color="Accent")),
            _rich(_run(sub, isSubtle=True, size="Small"), spacing="None")]
    for heading, lines in _lines(bundle):
        body.append(_rich(_run(heading, weight="Bolder"), separator=True, spacing="Medium"))
        body += [_rich(_run(f"• {clean(line, 400)}"), spacing="Small") for line in lines]
    body.append(_rich(_run(_footer_sentence(bundle), isSubtle=True, size="Small"), separator=True))
    card = {"type": "AdaptiveCard", "version": "1.4", "body": body, "msteams": {"width": "Full"},
            "actions": [{"type": "Action.OpenUrl", "title": t, "url": u} for t, u in _buttons(bundle)]}
    return {"type": "message", "summary": clean(bundle.subject, 150),
            "attachments": [{"contentType": ADAPTIVE, "contentUrl": None, "content": card}]}


# -- Slack -------------------------------------------------------------------------------------------

def slack_escape(text: str) -> str:
    """Text for a mrkdwn field: the three characters Slack reads as markup, escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": False}


def slack_payload(bundle: Bundle) -> dict:
    """The Block Kit message a Slack incoming webhook takes."""
    title, sub = _header(bundle)
    blocks: list[dict] = [{"type": "header", "text": _plain(clean(title, 150))},
                          {"type": "context", "elements": [_plain(clean(sub, 300))]}]
    for heading, lines in _lines(bundle):
        text = heading + "\n" + "\n".join(f"• {clean(line, 400)}" for line in lines)
        blocks += [{"type": "divider"}, {"type": "section", "text": _plain(clean_block(text))}]
    buttons = _buttons(bundle)
    if buttons:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": _plain(t), "url": u} for t, u in buttons]})
    blocks.append({"type": "context", "elements": [_plain(_footer_sentence(bundle))]})
    return {"text": slack_escape(clean(bundle.subject, 300)), "blocks": blocks[:50]}


def clean_block(text: str) -> str:
    return text if len(text) <= SLACK_SECTION else text[: SLACK_SECTION - 1] + "…"


def payload_for(bundle: Bundle) -> dict:
    return teams_payload(bundle) if bundle.subscription.channel == "teams" else slack_payload(bundle)


# -- delivery ------------------------------------------------------------------------------------------

class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is refused: following it would post the message somewhere else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def post_json(url: str, payload: dict, timeout: float) -> None:
    """POST `payload` to a webhook; TransientError (retry later) or PermanentError (do not)."""
    shown = shown_url(url)
    host = urllib.parse.urlsplit(url).hostname
    handlers: list = [_NoRedirects()]
    if is_loopback(host):
        handlers.append(urllib.request.ProxyHandler({}))   # this machine is never reached through a proxy
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "pmo-metrics"})
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read(4096)
    except urllib.error.HTTPError as exc:
        body = clean(exc.read(300).decode("utf-8", "replace"), 120) if exc.fp else ""
        what = f"{shown} answered {exc.code}" + (f" ({body})" if body else "")
        if exc.code in (408, 425, 429) or exc.code >= 500:
            raise TransientError(what) from None
        raise PermanentError(what) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TransientError(f"cannot reach {shown} ({clean(reason, 120)})") from None
