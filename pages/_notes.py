"""Notes on the figures, where the figures show: on a project, on a KPI or on a month. Everyone who
sees the figure reads its notes; PMO leads (the Data loads page's password, when one is configured)
add them, edit them and delete them, and every earlier version stays in the note's history. A note
of kind "decision" is a decision recorded at the review ("approve re-baseline of P123"): the next
month's review lists it.

Notes live in the app-state store (pmo_metrics.appstate), never in the warehouse, so they survive
every load. Their text is shown as text (`st.text`), never as markdown.
"""
from __future__ import annotations

import os

import streamlit as st

from pages import _widgets as ui
from pages._cache import app_state
from pages._context import Context, identity, secrets
from pmo_metrics import access
from pmo_metrics import formatting as fmt
from pmo_metrics.appstate import AppStateError
from pmo_metrics.review import figure_notes

KINDS = {"note": "Note", "decision": "Decision"}


def store(ctx: Context):
    """The app-state store, or None with a one-line reason on the page."""
    try:
        return app_state(ctx.settings.store_url)
    except AppStateError as exc:
        st.caption(f"Notes are not available: {ui.esc(exc)}")
        return None


def may_write(box: str) -> bool:
    """Whether this viewer may write notes: a PMO lead (the Data loads password, when one is set)."""
    expected = access.data_loads_password(secrets(), os.environ)
    return expected is None or ui.pmo_lead_unlocked(
        expected, "Writing notes is for PMO leads: enter the PMO-lead password (the one of the Data loads page).", box)


def panel(ctx: Context, title: str, notes_of, *, targets: dict[str, tuple[str, str]], month: str | None,
          key: str) -> None:
    """A folded panel listing notes (`notes_of(store)` → notes) with, for PMO leads, a form to add
    one on one of `targets` (label → (target kind, target id)) about `month`, and edit, delete and
    history for each note listed."""
    s = store(ctx)
    if s is None:
        return
    try:
        notes = notes_of(s)
    except AppStateError as exc:
        st.caption(f"Notes are not available: {ui.esc(exc)}")
        return
    with st.expander(f"{title} ({len(notes)})" if notes else title, icon=":material/edit_note:"):
        if not notes:
            st.caption("No note yet.")
        for n in notes:
            _show(n)
        unlocked = may_write(f"notes_password_{key}")
        if unlocked:
            for n in notes:
                _manage(s, n, key)
            _add_form(s, targets, month, key)


def _show(n) -> None:
    when = f"{n.created_at:%Y-%m-%d %H:%M}" + (f", edited {n.updated_at:%Y-%m-%d %H:%M}" if n.edited else "")
    about = figure_notes.on_what(n, {}) + (f", {fmt.month_label(n.month)}"
                                                   if n.month and n.target_kind != "month" else "")
    st.markdown(f"**{KINDS.get(n.kind, n.kind)}** on {ui.esc(about)} · {ui.esc(n.author)} · {when}")
    st.text(n.text)


def _manage(s, n, key: str) -> None:
    with st.popover(f"Edit or delete note {n.note_id}", icon=":material/edit:"):
        with st.form(f"note_edit_{key}_{n.note_id}"):
            text = st.text_area("Text", value=n.text, key=f"note_text_{key}_{n.note_id}")
            kind = st.radio("Kind", list(KINDS), format_func=KINDS.get, index=list(KINDS).index(n.kind),
                            horizontal=True, key=f"note_kind_{key}_{n.note_id}")
            c1, c2 = st.columns(2)
            save = c1.form_submit_button("Save changes")
            delete = c2.form_submit_button("Delete")
        try:
            if save:
                s.edit_note(n.note_id, text, identity(), kind=kind)
                st.rerun()
            if delete:
                s.delete_note(n.note_id, identity())
                st.rerun()
        except AppStateError as exc:
            st.error(ui.esc(exc))
        history = s.note_history(n.note_id)
        if len(history) > 1:
            st.markdown("**History**")
            for h in history:
                st.caption(f"{h['changed_at']:%Y-%m-%d %H:%M} · {ui.esc(h['author'])} · {h['action']}")
                st.text(h["text"])


def _add_form(s, targets: dict[str, tuple[str, str]], month: str | None, key: str) -> None:
    with st.form(f"note_add_{key}", clear_on_submit=True):
        on = st.selectbox("On", list(targets), key=f"note_on_{key}") if len(targets) > 1 else next(iter(targets))
        kind = st.radio("Kind", list(KINDS), format_func=KINDS.get, horizontal=True, key=f"note_new_kind_{key}",
                        help="A decision recorded at the review is listed in next month's review.")
        text = st.text_area("Note", key=f"note_new_text_{key}", max_chars=4000)
        added = st.form_submit_button("Add note", icon=":material/add:")
    if added:
        target_kind, target_id = targets[on]
        try:
            s.add_note(target_kind, target_id, text, identity(), kind=kind, month=month)
        except AppStateError as exc:
            st.error(ui.esc(exc))
        else:
            st.rerun()
