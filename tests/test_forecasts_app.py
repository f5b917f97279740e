"""The Forecasts page through Streamlit's AppTest: on the demo (cards that match the engine, the
backtest sentence beside the forecasts, the forecast table, early warnings and their value), on an
empty database, under a filter that selects nothing; and a card opening the rows behind it."""
from __future__ import annotations

import pytest
from test_app import app, cards, demo, empty_db, no_match_filters, problems, use_db  # noqa: F401 (fixtures)

from pmo_metrics import kpis, metrics
from pmo_metrics.db import Warehouse
from pmo_metrics.filters import Filters
from pmo_metrics.views import early_warning

PAGE = "pages/forecasts.py"
FORECAST_KPIS = ("spi_t", "rcf_cost_exposure_p80", "forecast_optimism_days", "rcf_p80_coverage")


def test_the_forecasts_page_on_the_demo(demo, use_db):
    use_db(demo["db"])
    at = app()
    at.switch_page(PAGE).run()
    assert not problems(at)
    cur = Warehouse(demo["db"]).cursor()
    try:
        engine = kpis.compute_kpis(cur, Filters(as_of=demo["as_of"]))
        warnings = early_warning.early_warnings(cur, Filters(as_of=demo["as_of"]))
    finally:
        cur.close()
    shown = cards(at)
    for mid in FORECAST_KPIS:
        assert shown[mid] == metrics.format_value(mid, engine[mid]), mid
    assert engine["spi_t"] is not None and engine["rcf_p80_coverage"] is not None
    # the backtest is said beside the forecasts, in words, with its own numbers
    sentence = [i.value for i in at.info if "P80 forecasts covered" in i.value]
    assert sentence and f"{engine['rcf_p80_coverage'] * 100:.0f} %" in sentence[0]
    frames = [d.value for d in at.dataframe]
    forecast_table = next(t for t in frames if "rcf_finish_p80" in t.columns)
    assert len(forecast_table) == engine["active_projects"]
    warning_table = next(t for t in frames if "reason" in t.columns)
    assert len(warning_table) == len(warnings) > 0
    value_table = next(t for t in frames if "lift" in t.columns)
    assert sorted(value_table["signal_id"]) == sorted(early_warning.SIGNAL_IDS)


def test_the_forecasts_page_on_an_empty_database(empty_db, use_db):
    use_db(empty_db)
    at = app()
    at.switch_page(PAGE).run()
    assert not problems(at)
    assert any("holds no rows" in i.value for i in at.info)


def test_the_forecasts_page_when_the_filters_select_nothing(demo, use_db):
    use_db(demo["db"])
    portfolio, program = no_match_filters(demo["projects"])
    at = app({"portfolio": portfolio, "program": program})
    at.switch_page(PAGE).run()
    assert not problems(at)
    assert cards(at)["spi_t"] == "—"
    assert any("no track record" in i.value for i in at.info)
    assert any("No early-warning signal fires" in i.value or "No active projects" in i.value for i in at.info)
    assert not [d for d in at.dataframe if "rcf_finish_p80" in d.value.columns]


def test_a_card_opens_the_rows_behind_it_with_their_source(demo, use_db):
    use_db(demo["db"])
    at = app()
    at.switch_page(PAGE).run()
    at.button(key="rows_spi_t").click().run()
    assert not problems(at)
    cur = Warehouse(demo["db"]).cursor()
    try:
        engine = kpis.compute_kpis(cur, Filters(as_of=demo["as_of"]))
    finally:
        cur.close()
    rows = next(d.value for d in at.dataframe if "source_file" in d.value.columns)
    assert len(rows) == engine["active_projects"]
    counted = rows[rows["counted"]]
    assert counted["earned_schedule"].sum() / counted["actual_time"].sum() == pytest.approx(engine["spi_t"])
    assert set(rows["source_file"]) == {"projects.csv"} and rows["source_row"].min() >= 2
