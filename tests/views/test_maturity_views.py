"""The maturity page's tables (pmo_metrics.views.maturity) on the tiny seeded warehouse (M = 2025-06)."""
from __future__ import annotations

import math

import pytest

from builders import records
from pmo_metrics.filters import Filters
from pmo_metrics.views import maturity

F = Filters(as_of="2025-06")


def test_maturity_tables(tiny_db):
    wide = maturity.heatmap(tiny_db, F)
    assert wide.loc["Retail", "governance"] == 3 and wide.loc["Retail", "talent"] == 2
    assert wide.loc["Finance", "governance"] == 4 and math.isnan(wide.loc["Finance", "talent"])
    changes = records(maturity.changes(tiny_db, F).query("business_unit == 'Retail'"), "domain")
    assert changes["governance"]["change"] == pytest.approx(3 - 2.5)
    assert changes["talent"]["change"] == pytest.approx(-1)
    domain = records(maturity.domain_changes(tiny_db, F), "domain")
    assert domain["talent"]["change"] == pytest.approx(-1) and domain["talent"]["business_units"] == 1
    assert list(domain) == ["governance", "talent"]                   # the framework's order
    gaps = maturity.gaps(tiny_db, F)
    assert gaps[["business_unit", "domain", "gap"]].values.tolist() == [["Retail", "talent", 2.0]]
