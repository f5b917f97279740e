"""Monthly performance review in presentation mode: one message per screen, sized to the window for
a projector, stepped through with Next / Previous (or a clicker's Page Down / Page Up).

Each screen is the section's title, its message, up to three points, its chart and its key table —
all of it inside the window at 1280×720 or larger; every row, every column and the notes on the
data are in the appendix below, folded away. The sidebar starts collapsed (the filters stay in it);
the month and the selection are the global filters, the comparison month (`vs`) and the section
shown (`section`, 1-based) live in the URL, so a copied link reopens the same screen. The same review
is downloadable as the PowerPoint deck and the HTML pack.
"""
import streamlit as st

from pages import _notes as notes
from pages import _widgets as ui
from pages._cache import cached
from pages._context import context
from pmo_metrics import formatting as fmt
from pmo_metrics import report, saved_scenarios
from pmo_metrics import review as rv
from pmo_metrics.filters import Filters, previous_month
from pmo_metrics.review import figure_notes
from pmo_metrics.review.model import POINTS_SHOWN

SCREEN_ROWS = 8  # table rows one screen has room for beside its chart; the appendix holds them all
build_review = cached(rv.build_review, spinner="Preparing the review …", max_entries=32)


project_names = cached(figure_notes.project_names)


def go_to(index: int) -> None:
    ui.set_page_params(section=str(index))


TITLE = "Monthly review"   # the page's heading while there is no review; a section's title once there is
ctx = context()
ui.require_data(ctx, title=TITLE)
ui.presentation_style()

months = [m for m in (ctx.options.get("months") or []) if m < ctx.as_of]
with st.sidebar:
    st.subheader("Review")
    vs = ui.page_param("vs", months) or (months[-1] if months else None)
    if months:
        previous = st.selectbox("Compare with", months[::-1], index=months[::-1].index(vs), key="review_vs",
                                help="The month the changes are measured from (default: the month before).")
        ui.set_page_params(vs=previous if previous != previous_month(ctx.as_of) else None)
    else:
        previous = None

try:
    review = build_review(ctx.filters, previous, ctx.currency)
except rv.ReviewError as exc:
    st.title(TITLE, anchor=False)
    ui.empty(f"No review for this month: {ui.esc(str(exc))}.")
    st.stop()
# The notes people wrote on the figures (they change without a load: read on every run, not cached).
store = notes.store(ctx)
if store is not None:
    names = project_names(review.filters)
    review = figure_notes.annotate(review, figure_notes.review_notes(store, review.as_of, review.previous), names,
                                  portfolio_notes=not ctx.scope.restricted)
    # the saved what-if scenarios, for the board: a scoped viewer sees those of their own projects only
    visible = project_names(ctx.scope.apply(Filters())) if ctx.scope.restricted else None
    review = figure_notes.with_scenarios(review, saved_scenarios.records(store, visible), ctx.currency)

n = len(review.sections)
index = int(ui.page_param("section", [str(i) for i in range(1, n + 1)]) or 1)
section = review.sections[index - 1]

# Navigation on top, where a presenter's eye and pointer are; Page Down / Page Up work from a clicker.
with st.container(horizontal=True, vertical_alignment="center", key="review_nav"):
    st.button("Previous", icon=":material/arrow_back:", disabled=index <= 1, on_click=go_to, args=(index - 1,),
              shortcut="PageUp", key="review_prev")
    st.button("Next", icon=":material/arrow_forward:", disabled=index >= n, on_click=go_to, args=(index + 1,),
              shortcut="PageDown", key="review_next", type="primary")
    with st.popover("Sections", icon=":material/list:"):
        for i, s in enumerate(review.sections, start=1):
            st.button(f"{i}. {s.title}", key=f"review_goto_{i}", on_click=go_to, args=(i,),
                      type="primary" if i == index else "tertiary")
    with st.popover("Download", icon=":material/download:"):
        st.download_button("PowerPoint deck", key="review_pptx", file_name=report.file_name(review, ".pptx"),
                           mime=report.PPTX_MIME, on_click="ignore", icon=":material/slideshow:",
                           data=lambda: report.render(review, ".pptx", ctx.currency))
        st.download_button("HTML pack", key="review_html", file_name=report.file_name(review, ".html"),
                           mime=report.HTML_MIME, on_click="ignore", icon=":material/html:",
                           data=lambda: report.render(review, ".html", ctx.currency))
    st.caption(f"{ui.esc(review.title)} · {ui.esc(review.subtitle)} · section {index} of {n}")

st.title(section.title, anchor=False)
st.header(ui.esc(section.message), anchor=False)
if section.points:
    st.markdown("\n".join(f"- {ui.esc(p)}" for p in section.points[:POINTS_SHOWN]))
for note in section.annotations:
    st.caption(f":material/edit_note: {ui.esc(note)}")

fig = rv.section_figure(section, ctx.currency)
key_table = section.key_table
if fig is not None or key_table is not None:
    left, right = st.columns([1.15, 1], gap="medium") if fig is not None and key_table is not None else (
        st.container(), st.container())
    if fig is not None:
        with left, st.container(key="review_chart"):
            ui.chart(fig, key=f"review_fig_{section.key}", height="stretch")
    if key_table is not None:
        with right:
            # Shown as fixed HTML built by the report module: every text from the data is escaped there.
            st.markdown(report.table_html(key_table, limit=SCREEN_ROWS, brief=True, more=" in the appendix below"),
                        unsafe_allow_html=True)

with st.expander("Appendix: every row and column, and notes on the data", icon=":material/table_view:"):
    for p in section.points[POINTS_SHOWN:]:
        st.markdown(f"- {ui.esc(p)}")
    for t in section.tables + section.details:
        st.markdown(f"**{ui.esc(t.title)}**")
        if t.is_empty:
            st.caption(ui.esc(t.empty_text))
        else:
            st.dataframe(t.frame, hide_index=True, placeholder=fmt.NO_DATA)
    for note in section.notes:
        st.caption(ui.esc(note))
    # Where the figures come from: here, where it does not compete with the message.
    ui.provenance_note(ctx)
