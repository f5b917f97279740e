"""The data-quality page's tables and the provenance of the data (pmo_metrics.views.quality): on a
warehouse without the loader's meta tables, and on the demo as loaded."""
from __future__ import annotations

from pmo_metrics import contract as c
from pmo_metrics.db import Warehouse
from pmo_metrics.views import quality


def test_without_load_tables_the_quality_views_are_empty(tiny_db):
    assert quality.data_provenance(tiny_db) is None
    for frame in (quality.rule_pass_rates(tiny_db), quality.findings(tiny_db), quality.warnings_by_manager(tiny_db),
                  quality.quarantined_rows(tiny_db), quality.loaded_batches(tiny_db)):
        assert frame.empty
    assert not quality.is_empty(tiny_db)


def test_demo_data_quality_views(demo_warehouse):
    cur = Warehouse(demo_warehouse.db).cursor()
    rates = quality.rule_pass_rates(cur)
    assert set(rates["table"]) == set(c.TABLE_NAMES)
    assert rates["pass_rate"].between(0, 1).all()
    assert rates["table"].map(c.LOAD_ORDER.index).is_monotonic_increasing
    found = quality.findings(cur)
    assert (found["severity"] == "warning").all() and len(found) > 0  # the demo's deliberate warnings
    failing = rates[rates["rows_failed"] > 0]
    assert set(failing["rule_id"]) <= set(found["rule_id"])
    assert (failing["pass_rate"] < 1).all()
    by_manager = quality.warnings_by_manager(cur)
    assert by_manager["warnings"].sum() == found["project_id"].notna().sum()
    assert quality.quarantined_rows(cur).empty

    provenance = quality.data_provenance(cur)
    assert provenance["is_demo"] and len(provenance["files"]) == len(c.TABLE_NAMES)
    assert provenance["rows"]["projects"] > 0
    assert len(quality.loaded_batches(cur)) == 1
    attempts = quality.load_attempts(demo_warehouse.db)
    assert attempts["status"].tolist() == ["loaded"]
    assert quality.data_months(cur)["last"] == demo_warehouse.as_of
