"""The benefits page's tables (pmo_metrics.views.benefits) on the tiny seeded warehouse (M = 2025-06)."""
from __future__ import annotations

import pandas as pd
import pytest

from builders import records
from pmo_metrics.filters import Filters
from pmo_metrics.formatting import NO_GROUP
from pmo_metrics.views import benefits

M = "2025-06"
F = Filters(as_of=M)


def test_benefits_by_type_owner_objective(tiny_db):
    by_type = records(benefits.by_group(tiny_db, F, "benefit_type"), "key")
    saving = by_type["cost_saving"]
    assert (saving["planned_to_date"], saving["realized_to_date"], saving["target"]) == (200, 80, 1000)
    assert saving["realization_rate"] == pytest.approx(0.4) and saving["at_risk"] == 1
    # the customer benefit is not financial: the group has no financial figure to show (empty, not 0)
    assert pd.isna(by_type["customer"]["planned_to_date"]) and by_type["customer"]["at_risk"] == 1
    assert set(benefits.by_group(tiny_db, F, "owner")["key"]) == {"Ann", NO_GROUP}
    assert set(benefits.by_group(tiny_db, F, "objective")["key"]) == {"Grow online", NO_GROUP}
    register = benefits.register(tiny_db, F)
    assert register.loc[register["benefit_id"] == "B2", "unit"].item() == "NPS"


def test_cumulative_is_the_cards_month_by_month(tiny_db):
    frame = benefits.cumulative(tiny_db, F, months=2)
    assert frame.to_dict("list") == {"month": ["2025-05", "2025-06"], "planned": [100.0, 200.0],
                                     "realized": [80.0, 80.0]}


def test_spend_and_benefits_by_objective(tiny_db):
    rows = records(benefits.spend_and_benefits_by_objective(tiny_db, F), "objective")
    assert rows["Grow online"]["actual_to_date"] == 90 + 250 and rows["Grow online"]["benefits_realized"] == 80
