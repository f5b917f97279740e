"""How values read (pmo_metrics.formatting): by unit, the same on every page, chart, slide and pack."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pmo_metrics import contract as c
from pmo_metrics import formatting as fmt


@pytest.mark.parametrize("fn, value, text", [
    (fmt.money, 1_234_567, "1.2 M"),
    (fmt.money, 999_960, "1.0 M"),
    (fmt.money, 45_300, "45.3 k"),
    (fmt.money, 2_500_000_000, "2.5 bn"),
    (fmt.money, 512, "512"),
    (fmt.money, -1_500_000, "-1.5 M"),
    (fmt.share, 0.45, "45.0 %"),
    (fmt.ratio, 0.9234, "0.92"),
    (fmt.count, 1234, "1,234"),
    (fmt.days, 12, "12 days"),
    (fmt.days, 6.667, "6.7 days"),
    (fmt.days, 1, "1 day"),
    (fmt.hours, 1234.4, "1,234 h"),
    (fmt.percent, 45.0, "45 %"),
    (fmt.level, 3, "3 – defined"),
    (fmt.number, 1250, "1,250"),
    (fmt.number, 12.5, "12.5"),
    (fmt.number, -0.25, "\u22120.25"),
    (fmt.slip, 12, "12 days later"),
    (fmt.slip, -1, "1 day earlier"),
    (fmt.slip, 0, "unchanged"),
    (fmt.date, dt.date(2025, 6, 30), "2025-06-30"),
    (fmt.date, pd.Timestamp("2025-06-30 14:00"), "2025-06-30"),
])
def test_by_unit(fn, value, text):
    assert fn(value) == text


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT])
def test_no_data_reads_the_same_everywhere(missing):
    for fn in (fmt.money, fmt.share, fmt.ratio, fmt.count, fmt.days, fmt.hours, fmt.level, fmt.number, fmt.date,
               fmt.percent, fmt.slip, fmt.label):
        assert fn(missing) == fmt.NO_DATA
        assert fn(missing, empty=None) is None
    assert fmt.as_float(missing) is None


def test_currency_and_signs():
    assert fmt.money(1_200_000, "£") == "£1.2 M" and fmt.money(-1_200_000, "£") == "-£1.2 M"
    assert fmt.change("share", 0.025) == "+2.5 pp"
    assert fmt.change("ratio", -0.03) == "-0.03"
    assert fmt.change("count", 0) == "±0"
    assert fmt.change("score", -1, fmt.LEVEL) == "-1"
    assert fmt.typographic("-1.9 M") == "\u22121.9 M" and fmt.typographic("1.9 M") == "1.9 M"
    assert fmt.arrow("+2.5 pp") == "\u25b2 2.5 pp" and fmt.arrow("-1.2 M") == "\u25bc 1.2 M"
    assert fmt.signed_money(-350_000) == "\u25bc 350.0 k" and fmt.signed_money(0) == "±0"
    assert fmt.signed(0.5) == "+0.50" and fmt.signed(-0.25) == "-0.25"


def test_value_is_the_unit_function_of_the_unit():
    assert fmt.value("money", 45_300, currency="€") == fmt.money(45_300, "€")
    assert fmt.value("share", 0.5, ".1f") == fmt.share(0.5)
    assert fmt.value("days", 2, ".1f") == fmt.days(2)
    assert fmt.value("score", 3.375, ".2f") == "3.38"
    assert fmt.value("score", 2, fmt.LEVEL) == "2 – developing"


def test_every_contract_enumeration_has_words():
    enumerations = {col.enum for table in c.TABLES.values() for col in table.columns if col.enum}
    assert enumerations == {tuple(labels) for labels in fmt.ENUM_LABELS.values()}
    for name, labels in fmt.ENUM_LABELS.items():
        for code, words in labels.items():
            assert words[0].isupper() and "_" not in words and fmt.label(code, name) == words, code
    assert fmt.label("on_hold") == "On hold" and fmt.words("on_hold") == "on hold"
    assert fmt.state("red") == "Red" and fmt.state(None) == "No report" and fmt.state("inactive") == "Not active"


def test_months_and_words():
    assert fmt.month_label("2025-06") == "June 2025" and fmt.short_month("2025-06") == "Jun 2025"
    assert fmt.month_abbr("2025-06") == "Jun" and fmt.month_abbr("2026-01") == "Jan"
    assert fmt.plural(1, "project") == "1 project" and fmt.plural(3, "person is", "people are") == "3 people are"
    assert fmt.text("  a\n  b ", 3) == "a b" and fmt.text("abcdef", 4) == "abc…"


def test_an_axis_reads_in_one_money_scale_with_round_steps_from_zero():
    ticks = fmt.axis_ticks(0, 45e9)
    assert ticks == [0, 10e9, 20e9, 30e9, 40e9, 50e9]
    scale = fmt.money_scale(ticks)
    assert scale == (1e9, " bn")
    assert [fmt.money_at_scale(t, scale, fmt.tick_decimals(ticks, scale), "£") for t in ticks] == [
        "0", "£10 bn", "£20 bn", "£30 bn", "£40 bn", "£50 bn"]
    quarter = fmt.axis_ticks(-1.1e6, 0, 5)
    assert quarter == [-1.5e6, -1e6, -0.5e6, 0]
    assert fmt.tick_decimals(quarter, fmt.money_scale(quarter)) == 1   # -1.5 M, -1.0 M, …
    assert fmt.axis_ticks(0, 324, whole=True) == [0, 100, 200, 300, 400]
    assert fmt.axis_ticks(0, 3, whole=True) == [0, 1, 2, 3]
    assert fmt.money_scale([None, 512]) == (1.0, "")


def test_excel_formats_read_as_the_screen_does():
    assert fmt.excel_format("money", "£") == '"£"#,##0;-"£"#,##0;0'
    assert fmt.excel_format("money", scale=(1e6, " M"), decimals=1) == '#,##0.0,," M";-#,##0.0,," M";0'
    assert fmt.excel_format("share") == "0.0%" and fmt.excel_format("percent") == '0" %"'
    assert fmt.excel_format("hours") == "#,##0" and fmt.excel_format("ratio") == "0.00"
    assert fmt.excel_format("date") == "yyyy-mm-dd" and fmt.excel_format("text") == "General"


def test_the_products_own_codes_read_as_words():
    assert fmt.label("skipped", "load_status").startswith("Skipped")
    assert fmt.label("achieved late", "milestone_state") == "Achieved late"
    assert fmt.label("worsened", "rag_trend") == "Worsened" and fmt.label("error", "severity") == "Error"
