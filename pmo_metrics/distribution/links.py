"""Links from a message to the exact dashboard view it speaks of.

The dashboard's entry file mirrors the global filters in the URL's query parameters (`as_of`,
`portfolio`, `program`, `business_unit`, `objective`, `department`; repeated for several values)
and the project page reads `project`. A link carries the month of the message, so it still opens
that month after the next load. The base URL is the `dashboard_url` setting.
"""
from __future__ import annotations

import urllib.parse

from ..access import NO_UNIT
from ..filters import Filters

# URL parameter → Filters field, as the entry file reads them.
FILTER_PARAMS = (("as_of", "as_of"), ("portfolio", "portfolios"), ("program", "programs"),
                 ("business_unit", "business_units"), ("objective", "objectives"), ("department", "departments"))
# Page → its URL path (Streamlit names a page after its file; the default page is the root).
PAGE_PATHS = {"overview": "", "portfolio": "portfolio", "project": "project", "finance": "finance",
              "resources": "resources", "benefits": "benefits", "maturity": "maturity",
              "monthly_review": "monthly_review", "data_quality": "data_quality"}
# The page that shows a KPI group's figures.
GROUP_PAGES = {"portfolio": "overview", "schedule": "portfolio", "cost": "finance", "resources": "resources",
               "benefits": "benefits", "maturity": "maturity"}


def check_base_url(url: str) -> str | None:
    """Why `url` cannot be the dashboard's address (None when it can)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return "must be an http(s) address without query, e.g. https://pmo.example.org"
    return None


def filter_params(filters: Filters) -> list[tuple[str, str]]:
    """The query parameters that reopen `filters` (a scope that selects nothing gives no unit)."""
    out: list[tuple[str, str]] = []
    for param, field in FILTER_PARAMS:
        value = getattr(filters, field)
        for v in ([value] if isinstance(value, str) else list(value or ())):
            if v and v != NO_UNIT:
                out.append((param, v))
    return out


def dashboard_link(base_url: str, filters: Filters, page: str = "overview", **params: str | None) -> str | None:
    """The URL of `page` under `filters` plus the page's own parameters; None without a base URL."""
    if not base_url:
        return None
    if page not in PAGE_PATHS:
        raise KeyError(f"unknown dashboard page {page!r}")
    query = filter_params(filters) + [(k, v) for k, v in params.items() if v]
    path = PAGE_PATHS[page]
    return f"{base_url.rstrip('/')}/{urllib.parse.quote(path)}" + (
        f"?{urllib.parse.urlencode(query)}" if query else "")


def kpi_page(metric_group: str) -> str:
    return GROUP_PAGES.get(metric_group, "overview")
