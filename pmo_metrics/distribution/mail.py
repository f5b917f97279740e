"""A bundle as an e-mail: a short HTML part and the same words as plain text, the pack attached.

The HTML is written for mail clients, which strip style sheets and block remote content: layout
tables, inline styles, no images, fonts, scripts or style sheets from anywhere — the only
addresses in it are links to the dashboard. Colour is never the only signal: every arrow says
"better" or "worse" and every status is written out. Every text, ours or the data's, is escaped.
"""
from __future__ import annotations

import hashlib
import html
from email.message import EmailMessage
from email.utils import formatdate

from .compose import Bundle
from .digest import Digest
from .text import clean

INK, MUTED, BRAND, LINE, PAGE = "#1A1A1A", "#555B63", "#1F3A68", "#D5DAE1", "#F4F6F8"
TONES = {"better": "#1B7F3B", "worse": "#B3261E"}
CHIPS = {"green": ("#1B7F3B", "#E6F4EA"), "amber": ("#8A5A00", "#FFF4E0"), "red": ("#B3261E", "#FDECEA")}
FONT = "'Segoe UI',Helvetica,Arial,sans-serif"


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _a(url: str | None, text: str, style: str = f"color:{BRAND};") -> str:
    return f'<a href="{_e(url)}" style="{style}">{_e(text)}</a>' if url else _e(text)


def message_id(bundle: Bundle, load_id: str, sender: str) -> str:
    """The same Message-ID for the same (subscription, month, load): should a run die between the
    server's acceptance and the send log, the copy the next run sends is recognisably the same."""
    digest = hashlib.sha256(f"{bundle.subscription.name}\0{bundle.month}\0{load_id}".encode()).hexdigest()[:24]
    domain = sender.rpartition("@")[2] or "pmo.invalid"
    return f"<pmo.{digest}@{domain}>"


def _header(bundle: Bundle) -> tuple[str, str]:
    """The message's title and the line under it: whose figures, against which month, how fresh."""
    if bundle.digest is not None:
        title = f"PMO digest — {bundle.month_label}"
    elif bundle.alerts:
        title = f"PMO alert — {bundle.month_label}"
    elif bundle.pack_title is not None:
        title = bundle.pack_title
    else:
        title = f"Your projects — {bundle.month_label}"
    loaded = f" · data loaded {bundle.loaded_at.day} {bundle.loaded_at:%b %Y, %H:%M}" if bundle.loaded_at else ""
    where = bundle.scope_text[:1].upper() + bundle.scope_text[1:]
    return title, f"{where} · compared with {bundle.previous_label}{loaded}"


# -- plain text ------------------------------------------------------------------------------------------

def render_text(bundle: Bundle) -> str:
    title, sub = _header(bundle)
    out = [title, sub, ""]
    if bundle.alerts:
        out += ["ALERTS"] + [f"- {a.text}" + (f"\n  {a.link}" if a.link else "") for a in bundle.alerts] + [""]
    if bundle.digest is not None:
        out += _text_digest(bundle.digest)
    if bundle.chase is not None:
        out += ["YOUR PROJECTS TO CHASE"]
        if not bundle.chase:
            out.append("Nothing to chase this month.")
        for p in bundle.chase:
            out.append(f"{p.project_name} ({p.project_id})" + (f"  {p.link}" if p.link else ""))
            out += [f"  - {i.text}" for i in p.items]
        out.append("")
    if bundle.pack_title is not None:
        out += ["MONTHLY PACK", _pack_sentence(bundle) + (f" {bundle.review_link}" if bundle.review_link else ""), ""]
    if bundle.dashboard:
        out += [f"Open this view on the dashboard: {bundle.dashboard}", ""]
    out += ["-- ", _footer_sentence(bundle)]
    return "\n".join(out) + "\n"


def _text_digest(digest: Digest) -> list[str]:
    width = max(len(line.label) for line in digest.lines) if digest.lines else 10
    out = ["KEY FIGURES"]
    for line in digest.lines:
        tail = "  ".join(p for p in (f"({line.direction})" if line.direction in ("better", "worse") else "",
                                     line.status or "") if p)
        out.append(f"{line.label.ljust(width)}  {line.value:>12}  {(line.arrow + ' ' + line.change).strip():>12}  {tail}"
                   .rstrip())
        out.append(f"  {line.why}")
    out.append("")
    if digest.changes:
        out.append("WHAT CHANGED")
        for g in digest.changes:
            out.append(g.title)
            out += [f"- {i.text}" for i in g.items]
            if g.more:
                out.append(f"- … and {g.more} more" + (f": {g.link}" if g.link else " on the dashboard"))
        out.append("")
    return out


def _pack_sentence(bundle: Bundle) -> str:
    if bundle.attachments:
        return f"{bundle.pack_title} is attached: " + ", ".join(a.filename for a in bundle.attachments) + "."
    return f"{bundle.pack_title} is on the dashboard's monthly review page."


def _footer_sentence(bundle: Bundle) -> str:
    only = "" if bundle.scope_text == "every business unit" else " only"
    return (f"You receive this as the subscription '{bundle.subscription.name}'. The figures cover "
            f"{bundle.scope_text}{only}. To change or stop it, ask the PMO.")


# -- HTML ------------------------------------------------------------------------------------------------

def _chip(status: str | None) -> str:
    if status not in CHIPS:
        return ""
    ink, fill = CHIPS[status]
    return (f'<span style="display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;'
            f'color:{ink};background:{fill};">{_e(status)}</span>')


def _row(cells: str, top: bool = False) -> str:
    border = f"border-top:1px solid {LINE};" if top else ""
    return f'<tr style="{border}">{cells}</tr>'


def _html_digest(digest: Digest) -> str:
    th = f'style="text-align:{{}};padding:6px 8px;font-size:12px;color:{MUTED};border-bottom:2px solid {BRAND};"'
    rows = [f"<tr><th {th.format('left')}>KPI</th><th {th.format('right')}>Value</th>"
            f"<th {th.format('right')}>Change</th></tr>"]
    for line in digest.lines:
        tone = TONES.get(line.direction or "", MUTED)
        word = line.direction if line.direction in ("better", "worse") else ""
        rows.append(
            f'<tr><td style="padding:8px 8px 2px;border-top:1px solid {LINE};font-weight:600;">'
            f"{_a(line.link, line.label, f'color:{INK};text-decoration:none;')}</td>"
            f'<td style="padding:8px 8px 2px;border-top:1px solid {LINE};text-align:right;white-space:nowrap;'
            f'font-weight:600;">{_e(line.value)}</td>'
            f'<td style="padding:8px 8px 2px;border-top:1px solid {LINE};text-align:right;white-space:nowrap;'
            f'color:{tone};">{_e((line.arrow + " " + line.change).strip())}</td></tr>'
            f'<tr><td style="padding:0 8px 8px;color:{MUTED};font-size:13px;">{_e(line.why)}</td>'
            f'<td style="padding:0 8px 8px;text-align:right;">{_chip(line.status)}</td>'
            f'<td style="padding:0 8px 8px;text-align:right;font-size:12px;color:{tone};">{_e(word)}</td></tr>')
    out = [f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
           f'style="border-collapse:collapse;font-size:14px;">{"".join(rows)}</table>']
    if digest.changes:
        out.append(_h2("What changed"))
        for g in digest.changes:
            items = "".join(f'<li style="margin:2px 0;">{_a(i.link, i.text, f"color:{INK};")}</li>' for i in g.items)
            if g.more:
                items += f'<li style="margin:2px 0;color:{MUTED};">{_a(g.link, f"… and {g.more} more on the dashboard")}</li>'
            out.append(f'<p style="margin:10px 0 2px;font-weight:600;">{_e(g.title)}</p>'
                       f'<ul style="margin:0;padding-left:20px;">{items}</ul>')
    return "".join(out)


def _h2(text: str) -> str:
    return f'<h2 style="margin:18px 0 4px;font-size:16px;color:{BRAND};">{_e(text)}</h2>'


def render_html(bundle: Bundle) -> str:
    title, sub = _header(bundle)
    blocks = []
    if bundle.alerts:
        items = "".join(f'<li style="margin:2px 0;">{_a(a.link, a.text, f"color:{INK};")}</li>' for a in bundle.alerts)
        blocks.append(f'<div style="border-left:4px solid {TONES["worse"]};background:#FDECEA;padding:8px 12px;'
                      f'margin:8px 0;"><p style="margin:0 0 4px;font-weight:600;">Alerts</p>'
                      f'<ul style="margin:0;padding-left:20px;">{items}</ul></div>')
    if bundle.digest is not None:
        blocks.append(_html_digest(bundle.digest))
    if bundle.chase is not None:
        blocks.append(_h2("Your projects to chase"))
        if not bundle.chase:
            blocks.append(f'<p style="margin:4px 0;color:{MUTED};">Nothing to chase this month.</p>')
        for p in bundle.chase:
            items = "".join(f'<li style="margin:2px 0;">{_e(i.text)}</li>' for i in p.items)
            blocks.append(f'<p style="margin:10px 0 2px;font-weight:600;">'
                          f'{_a(p.link, f"{p.project_name} ({p.project_id})", f"color:{INK};")}</p>'
                          f'<ul style="margin:0;padding-left:20px;">{items}</ul>')
    if bundle.pack_title is not None:
        blocks.append(_h2("Monthly pack"))
        blocks.append(f'<p style="margin:4px 0;">{_e(_pack_sentence(bundle))} '
                      f'{_a(bundle.review_link, "Open the review") if bundle.review_link else ""}</p>')
    if bundle.dashboard:
        blocks.append(f'<p style="margin:20px 0 4px;"><a href="{_e(bundle.dashboard)}" style="display:inline-block;'
                      f'padding:8px 14px;background:{BRAND};color:#FFFFFF;text-decoration:none;border-radius:3px;">'
                      f'Open this view on the dashboard</a></p>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(bundle.subject)}</title></head>"
        f'<body style="margin:0;padding:0;background:{PAGE};">'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:{PAGE};">'
        '<tr><td align="center" style="padding:16px 8px;">'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:680px;'
        f'background:#FFFFFF;border:1px solid {LINE};font-family:{FONT};color:{INK};font-size:15px;line-height:1.45;">'
        f'<tr><td style="padding:20px 24px 4px;"><h1 style="margin:0;font-size:21px;color:{BRAND};">{_e(title)}</h1>'
        f'<p style="margin:4px 0 0;color:{MUTED};font-size:13px;">{_e(sub)}</p></td></tr>'
        f'<tr><td style="padding:4px 24px 16px;">{"".join(blocks)}</td></tr>'
        f'<tr><td style="padding:12px 24px 20px;border-top:1px solid {LINE};color:{MUTED};font-size:12px;">'
        f"{_e(_footer_sentence(bundle))}</td></tr>"
        "</table></td></tr></table></body></html>\n")


# -- the message -----------------------------------------------------------------------------------------

def build_email(bundle: Bundle, sender: str, load_id: str) -> EmailMessage:
    """The e-mail for `bundle`: text and HTML alternatives, the pack files attached."""
    msg = EmailMessage()
    msg["Subject"] = clean(bundle.subject, 200)
    msg["From"] = sender
    msg["To"] = bundle.subscription.address
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id(bundle, load_id, sender)
    # Out-of-office replies and auto-responders should stay quiet (RFC 3834; Outlook's own header).
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(render_text(bundle))
    msg.add_alternative(render_html(bundle), subtype="html")
    for a in bundle.attachments:
        maintype, _, subtype = a.mime.partition("/")
        msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
    return msg
