"""PMO analytics dashboard — entry point: page list, global filters, the link that reopens a view.

Run with `streamlit run app.py`. The filters live here, in the entry file, so they persist while the
user moves between pages, and they are mirrored in the URL's query parameters so a copied link
reopens the same view. A click in the navigation menu drops the query string; the filters are
written back on every run. Values read from the URL are kept only when they are among the values
the data offers, so nothing a URL says reaches a query unchecked.
"""
from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

# The favicon is a file served by this app: a Material icon would be fetched from Google's servers,
# and an offline meeting room shows none.
FAVICON = Path(__file__).resolve().parent / "assets" / "favicon.png"
st.set_page_config(page_title="PMO analytics", page_icon=str(FAVICON), layout="wide")

from pages import _widgets as ui  # noqa: E402  (set_page_config comes first)
from pages._cache import cached, open_data  # noqa: E402
from pages._context import Context, current_scope, running_page, set_context  # noqa: E402
from pages._heap import freeze_if_due  # noqa: E402
from pmo_metrics.db import DatabaseChanged  # noqa: E402
from pmo_metrics.filters import Filters  # noqa: E402
from pmo_metrics.logs import configure_logging, non_empty_fields  # noqa: E402
from pmo_metrics.settings import load_settings  # noqa: E402
from pmo_metrics.views import projects  # noqa: E402

log = logging.getLogger("pmo_dashboard")

PAGES = {
    "Performance": [
        st.Page("pages/overview.py", title="Executive overview", icon=":material/dashboard:", default=True),
        st.Page("pages/portfolio.py", title="Portfolio", icon=":material/account_tree:"),
        st.Page("pages/project.py", title="Project", icon=":material/assignment:"),
        st.Page("pages/finance.py", title="Finance", icon=":material/payments:"),
        st.Page("pages/forecasts.py", title="Forecasts", icon=":material/query_stats:"),
        st.Page("pages/resources.py", title="Resources", icon=":material/groups:"),
        st.Page("pages/benefits.py", title="Benefits", icon=":material/savings:"),
        st.Page("pages/maturity.py", title="Maturity", icon=":material/stairs:"),
        st.Page("pages/governance.py", title="Governance", icon=":material/gavel:"),
        st.Page("pages/pmo_value.py", title="PMO value", icon=":material/workspace_premium:"),
        st.Page("pages/monthly_review.py", title="Monthly review", icon=":material/co_present:"),
    ],
    "Planning": [
        st.Page("pages/pipeline.py", title="Pipeline", icon=":material/filter_alt:"),
        st.Page("pages/scenarios.py", title="What-if scenarios", icon=":material/balance:"),
    ],
    "Data": [
        st.Page("pages/data_quality.py", title="Data quality", icon=":material/rule:"),
        st.Page("pages/data_loads.py", title="Data loads", icon=":material/upload_file:"),
        st.Page("pages/subscriptions.py", title="Subscriptions", icon=":material/forward_to_inbox:"),
        st.Page("pages/glossary.py", title="Glossary", icon=":material/menu_book:"),
    ],
}
PRESENTED = {"monthly_review"}  # pages shown to a room: the sidebar starts folded away
# Pages whose figures are scoped by department (the utilisation card, the resources page).
DEPARTMENT_PAGES = {"", "resources"}

# URL parameter → (widget key, Filters field, several values?)
GLOBAL_PARAMS = {
    "as_of": ("f_as_of", "as_of", False),
    "portfolio": ("f_portfolio", "portfolios", True),
    "program": ("f_program", "programs", True),
    "business_unit": ("f_business_unit", "business_units", True),
    "objective": ("f_objective", "objectives", True),
    "department": ("f_department", "departments", True),
}
KEPT_DEPARTMENTS = "kept_departments"  # survives pages that do not show the department filter
LATEST = "latest"  # the as-of choice that follows new loads; never written to the URL


def seed_from_url(param: str, key: str, valid: list[str], multi: bool):
    """Give a widget its first value from the URL (unknown values dropped), or clean a stale one."""
    if key in st.session_state:
        current = st.session_state[key]
        if multi:
            kept = [v for v in (current or []) if v in valid]
            if kept != current:
                st.session_state[key] = kept
        elif current is not None and current not in valid:
            st.session_state[key] = None
        return
    raw = st.query_params.get_all(param)
    allowed = set(valid)
    values = list(dict.fromkeys(v for v in raw if v in allowed))
    st.session_state[key] = values if multi else (values[0] if values else None)


def write_url(values: dict[str, str | list[str] | None]) -> None:
    """Mirror the filters in the query string; page-specific parameters are left alone."""
    for param, value in values.items():
        if not value:
            if param in st.query_params:
                del st.query_params[param]
        else:
            wanted = value if isinstance(value, list) else [value]
            if st.query_params.get_all(param) != wanted:
                st.query_params[param] = wanted if isinstance(value, list) else value


def clear_filters() -> None:
    for param, (key, _, multi) in GLOBAL_PARAMS.items():
        st.session_state[key] = [] if multi else LATEST
    st.session_state[KEPT_DEPARTMENTS] = []


# The collection Streamlit runs after every run walks only what runs allocate (see pages/_heap.py).
freeze_if_due()

# Every page stays in view: Streamlit folds a menu of more than twelve pages behind "View more".
page = st.navigation(PAGES, expanded=True)
# The monthly review is presented with the sidebar folded away; every other page has it open. Said
# on every run (the same value each time changes nothing), so leaving the review opens it again.
st.set_page_config(initial_sidebar_state="collapsed" if page.url_path in PRESENTED else "expanded")
try:
    settings = load_settings()
except ValueError as exc:  # a malformed PMO_* environment variable: say which, not a traceback
    st.error(f"The dashboard's settings are invalid: {ui.esc(exc)}")
    st.stop()
configure_logging(settings.log_format)

scope = current_scope()
if settings.build_demo_when_empty:
    ui.ensure_demo_database(settings)
data = open_data(settings)
options, months, default_as_of = data.options, list(data.options.get("months") or []), data.default_as_of
if scope.restricted and data.token is not None:
    # The choices offered are those of the units in scope, so no other unit's names show.
    try:
        in_scope = cached(projects.project_list)(scope.apply(Filters()))
    except DatabaseChanged:
        st.rerun()
    options = {**options, "business_units": scope.visible(options.get("business_units", [])),
               "portfolios": sorted(in_scope["portfolio"].dropna().unique().tolist()),
               "programs": sorted(in_scope["program"].dropna().unique().tolist())}

with st.sidebar:
    st.subheader("Filters")
    if scope.restricted:
        st.caption(f"Signed in as {ui.esc(scope.user or 'nobody')}: business units "
                   f"{ui.esc(scope.describe())}.")
    valid = {
        "as_of": months, "portfolio": options.get("portfolios", []), "program": options.get("programs", []),
        "business_unit": options.get("business_units", []), "objective": options.get("objectives", []),
        "department": options.get("departments", []),
    }
    for param, (key, _, multi) in GLOBAL_PARAMS.items():
        if param != "department":
            seed_from_url(param, key, valid[param], multi)
    if st.session_state.get("f_as_of") is None:
        st.session_state["f_as_of"] = LATEST
    if KEPT_DEPARTMENTS not in st.session_state:
        seed_from_url("department", KEPT_DEPARTMENTS, valid["department"], True)
    else:
        st.session_state[KEPT_DEPARTMENTS] = [d for d in st.session_state[KEPT_DEPARTMENTS]
                                              if d in set(valid["department"])]

    disabled = not months
    covered = f"The data covers {months[0]} to {months[-1]}." if months else "No month has data yet."
    st.selectbox("As of month", [LATEST] + months[::-1], key="f_as_of", disabled=disabled,
                 format_func=lambda m: (f"Latest ({default_as_of})" if default_as_of else "Latest") if m == LATEST else m,
                 help=f"KPIs are computed as of the end of this month; 'Latest' follows new loads. {covered}")
    if months:
        st.caption(f"Months with data: {months[0]} to {months[-1]}")
    st.multiselect("Portfolio", valid["portfolio"], key="f_portfolio", disabled=disabled)
    st.multiselect("Program", valid["program"], key="f_program", disabled=disabled)
    st.multiselect("Business unit", valid["business_unit"], key="f_business_unit", disabled=disabled,
                   help="Also scopes the maturity figures.")
    names = dict(zip(options.get("objectives", []), options.get("objective_names", [])))
    st.multiselect("Strategic objective", valid["objective"], key="f_objective", disabled=disabled,
                   format_func=lambda o: f"{names.get(o) or o} ({o})")
    if page.url_path in DEPARTMENT_PAGES:
        if "f_department" not in st.session_state:
            st.session_state["f_department"] = st.session_state[KEPT_DEPARTMENTS]
        st.multiselect("Department", valid["department"], key="f_department", disabled=disabled,
                       help="Scopes the resource figures only.")
        st.session_state[KEPT_DEPARTMENTS] = st.session_state["f_department"]
    elif st.session_state[KEPT_DEPARTMENTS]:
        st.caption(f"Department filter ({len(st.session_state[KEPT_DEPARTMENTS])}) applies on the "
                   "overview and resources pages.")
    selection = {param: st.session_state.get(key) for param, (key, _, _) in GLOBAL_PARAMS.items()}
    selection["as_of"] = None if selection["as_of"] == LATEST else selection["as_of"]
    selection["department"] = st.session_state[KEPT_DEPARTMENTS]
    if any(selection[p] for p in GLOBAL_PARAMS):
        st.button("Clear filters", on_click=clear_filters, icon=":material/filter_alt_off:", key="clear_filters")

write_url(selection)
filters = Filters(**{field: selection[param] for param, (_, field, _) in GLOBAL_PARAMS.items()})
# The one place business-unit scoping is enforced for everything built from the filters.
filters = scope.apply(filters.with_as_of(filters.as_of or default_as_of))
set_context(Context(settings, data.db_path, data.token, filters, data.has_data, data.provenance, options,
                    data.data_months, scope, data.held or {}))
if data.problem:
    st.error(f"The database at {ui.esc(data.db_path)} cannot be read: {ui.esc(data.problem)}. "
             "Load a batch on the Data loads page to rebuild it.")

ui.page_style()
with running_page():
    try:
        page.run()
    except DatabaseChanged:  # a load published new data mid-run: draw the page again, all of it new
        st.rerun()
    except Exception as exc:  # a page must never show a traceback to its audience
        # The page and the filters, so the failure can be reproduced; not who was looking.
        log.exception("page %s failed", page.title,
                      extra={"pmo": {"event": "page_error", "page": page.title, "filters": non_empty_fields(filters)}})
        st.error(f"This page could not be drawn ({type(exc).__name__}). The details are in the server log.")
