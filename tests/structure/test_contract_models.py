"""The contract (pmo_metrics/contract.py) and the pandera models (pmo_metrics/schemas/models.py) both
declare every table: the same columns in the same order, the same types, the same required columns,
the same single-column keys and the same enumerations."""
from __future__ import annotations

import pytest

from pmo_metrics import contract as c
from pmo_metrics.schemas.models import MODELS

DTYPES = {c.STR: "String", c.DATE: "Date", c.MONTH: "String", c.MONEY: "Float64", c.NUM: "Float64",
          c.INT: "Int64", c.BOOL: "Boolean"}


def test_one_model_per_contract_table():
    assert set(MODELS) == set(c.TABLES)


@pytest.mark.parametrize("name", list(c.TABLES))
def test_model_declares_what_the_contract_declares(name):
    table, schema = c.TABLES[name], MODELS[name].to_schema()
    assert list(schema.columns) == table.column_names
    for col in table.columns:
        declared = schema.columns[col.name]
        checks = {check.name: check.statistics for check in declared.checks}
        assert str(declared.dtype) == DTYPES[col.type], col.name
        assert declared.nullable == (not col.required), col.name
        assert declared.unique == (table.key == (col.name,)), col.name
        assert checks.get("isin", {}).get("allowed_values") == (list(col.enum) if col.enum else None), col.name
        if col.type == c.MONTH:
            assert "str_matches" in checks, f"{col.name}: a month must be checked as YYYY-MM"
