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
    assert fmt.plural(1, "project") == "1 project" and fmt.plural(3, "person is", "people are") == "3 people are"
    assert fmt.text("  a\n  b ", 3) == "a b" and fmt.text("abcdef", 4) == "abc…"
