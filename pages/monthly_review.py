"""Monthly performance review in presentation mode: one message per screen, in large, high-contrast
type for a projector, stepped through with Next / Previous (or a clicker's Page Down / Page Up).

The month and the selection are the global filters; the comparison month (`vs`) and the section
shown (`section`, 1-based) live in the URL, so a copied link reopens the same screen. The same
review is downloadable as the PowerPoint deck and the HTML pack.
"""
import streamlit as st

from pages import _widgets as ui
from pages._cache import cached
from pages._context import context
from pmo_metrics import report
from pmo_metrics import review as rv
from pmo_metrics.filters import previous_month

SLIDE_ROWS = 10  # table rows one screen shows; the rest fold away
build_review = cached(rv.build_review, spinner="Preparing the review …", max_entries=32)


@cached(max_entries=8)
def pack_bytes(con, filters, previous: str | None, fmt: str, currency: str) -> bytes:
    """The downloadable pack of the review on screen (built from the cached review, not again)."""
    return report.render(build_review(filters, previous), fmt, currency)


def go_to(index: int) -> None:
    ui.set_page_params(section=str(index))


ctx = context()
ui.require_data(ctx)
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
    review = build_review(ctx.filters, previous)
except rv.ReviewError as exc:
    ui.empty(f"No review for this month: {ui.esc(str(exc))}.")
    st.stop()

n = len(review.sections)
index = int(ui.page_param("section", [str(i) for i in range(1, n + 1)]) or 1)
section = review.sections[index - 1]

with st.sidebar:
    st.caption("Download the whole review")
    st.download_button("PowerPoint deck", key="review_pptx", file_name=report.file_name(review, ".pptx"),
                       mime=report.PPTX_MIME, on_click="ignore", icon=":material/slideshow:",
                       data=lambda: pack_bytes(ctx.filters, previous, ".pptx", ctx.currency))
    st.download_button("HTML pack", key="review_html", file_name=report.file_name(review, ".html"),
                       mime=report.HTML_MIME, on_click="ignore", icon=":material/html:",
                       data=lambda: pack_bytes(ctx.filters, previous, ".html", ctx.currency))
    st.caption("Sections")
    for i, s in enumerate(review.sections, start=1):
        st.button(f"{i}. {s.title}", key=f"review_goto_{i}", on_click=go_to, args=(i,),
                  type="primary" if i == index else "tertiary")

# Navigation on top, where a presenter's eye and pointer are; Page Down / Page Up work from a clicker.
prev_col, next_col, where = st.columns([1, 1, 2], vertical_alignment="center")
prev_col.button("Previous", icon=":material/arrow_back:", disabled=index <= 1, on_click=go_to, args=(index - 1,),
                shortcut="PageUp", key="review_prev", width="stretch")
next_col.button("Next", icon=":material/arrow_forward:", disabled=index >= n, on_click=go_to, args=(index + 1,),
                shortcut="PageDown", key="review_next", type="primary", width="stretch")
where.caption(f"{ui.esc(review.title)} · {ui.esc(review.subtitle)} · section {index} of {n}")
st.title(section.title)
st.header(ui.esc(section.message), anchor=False)
if section.points:
    st.markdown("\n".join(f"- {ui.esc(p)}" for p in section.points))

fig = rv.section_figure(section, ctx.currency)
left, right = st.columns([1.1, 1]) if fig is not None else (None, st.container())
if left is not None:
    with left:
        ui.chart(fig, key=f"review_fig_{section.key}")
with right:
    for t in section.tables:
        st.subheader(ui.esc(t.title), anchor=False)
        if t.is_empty:
            st.markdown(ui.esc(t.empty_text))
            continue
        # The screen shows the table's essential columns; st.table reads Markdown in its cells, so
        # every text from the data is escaped first.
        brief = t.frame[t.slide_columns] if t.slide_columns else t.frame
        shown = brief.head(SLIDE_ROWS).map(lambda v: "" if v is None else ui.esc(v))
        st.table(shown.rename(columns=ui.esc), hide_index=True)
        if len(t.frame) > SLIDE_ROWS or brief.shape[1] < t.frame.shape[1]:
            with st.expander(f"All {len(t.frame):,} rows and columns"):
                st.dataframe(t.frame, hide_index=True)
for note in section.notes:
    st.caption(ui.esc(note))

# Where the figures come from, at the foot of the screen where it does not compete with the message.
ui.provenance_note(ctx)
