"""Data quality and provenance: how the loaded data fares against the accuracy rules, the findings
and who to ask about them, stale status reports, quarantined rows, and the loads behind the data on
screen. The loader's meta.* tables are read only where they exist. SQL in sql/views/quality/."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from .. import kpis, lineage
from ..filters import Filters
from ..findings import WARNING
from ..queries import records, run

UPLOAD_MARK = "pmo-upload-"  # the temporary folder the Data loads page stages an upload in
# The tables whose rows say whether a database was ever given data.
CORE_TABLES = ("projects", "status_reports", "financials", "resources", "maturity_assessments")


def _tables(con, schema: str) -> set[str]:
    return {r["table_name"] for r in records(con, "views/quality/tables") if r["schema_name"] == schema}


def _has_meta(con, *tables: str) -> bool:
    return set(tables) <= _tables(con, "meta")


# -- provenance ------------------------------------------------------------------------------------

def data_provenance(con) -> dict[str, Any] | None:
    """Where the data on screen comes from: the latest load (when, which batch), every file of the
    loads whose tables are still in place (a later partial load replaces only its own tables), and
    whether any of them is the demo batch (its folder is named 'demo'). None before any load."""
    if not _has_meta(con, "load_log"):
        return None
    log = run(con, "views/quality/loads", {"status": "loaded"})
    if log.empty:
        return None
    current = set(log["load_id"])
    if _has_meta(con, "table_rows"):
        current = set(run(con, "views/quality/supplying_loads")["load_id"]) or current
    in_place = log[log["load_id"].isin(current)]
    files: list[str] = []
    rows: dict[str, int] = {}
    for _, load in in_place.iterrows():
        try:
            files += [f.get("name") for f in json.loads(load["files"] or "[]") if f.get("name") not in files]
            for table, n in json.loads(load["rows_loaded"] or "{}").items():
                rows.setdefault(table, n)  # newest first: the load that supplies the table now
        except (TypeError, ValueError, AttributeError):
            continue
    latest = log.iloc[0]
    batches = [str(b or "") for b in in_place["batch"]]
    return {
        "load_id": latest["load_id"], "loaded_at": pd.Timestamp(latest["finished_at"]).to_pydatetime(),
        "batch": describe_batch(str(latest["batch"] or "")), "files": files, "rows": rows,
        "loads": len(in_place), "is_demo": any(Path(b).name == "demo" for b in batches),
    }


def describe_batch(path: str) -> str:
    """A batch path as a user knows it: an upload is 'an upload', not a temporary folder."""
    return "an upload on the Data loads page" if UPLOAD_MARK in path else path


def is_empty(con) -> bool:
    """True when no contract table holds a row (a database created but never given data)."""
    present = [t for t in CORE_TABLES if t in _tables(con, "main")]
    return not present or not records(con, "views/quality/has_rows", {"tables": present})[0]["has_rows"]


def data_months(con) -> dict[str, str | None]:
    """First and last month with data, and the months of the first and last status report (for
    empty-state messages such as "no status reports before 2025-03")."""
    months = kpis.available_months(con)
    reports = records(con, "views/quality/report_months")
    first_report, last_report = (reports[0]["first_report"], reports[0]["last_report"]) if reports else (None, None)
    return {"first": months[0] if months else None, "last": months[-1] if months else None,
            "first_report": first_report, "last_report": last_report}


# -- the rules ---------------------------------------------------------------------------------------

def rule_pass_rates(con) -> pd.DataFrame:
    """Per table × rule of the registry: rows checked in the table's latest load, rows failing the
    rule, and the pass rate (share of rows with no finding for it)."""
    # Imported here, not at the top: the rule registry's package brings the loader's readers (most
    # of a second), which no other page table needs.
    from ..schemas.rules import RULES

    cols = ["table", "rule_id", "severity", "description", "rows_checked", "rows_failed", "pass_rate"]
    if not _has_meta(con, "table_rows", "findings"):
        return pd.DataFrame(columns=cols)
    pairs = [(t, r.id, r.severity, r.description) for r in RULES.values() for t in r.tables]
    tables, ids, severities, descriptions = (list(column) for column in zip(*pairs))
    return run(con, "views/quality/rule_pass_rates", {"rule_tables": tables, "rule_ids": ids,
                                                      "rule_severities": severities,
                                                      "rule_descriptions": descriptions})[cols]


def rule_summary(rates: pd.DataFrame) -> dict[str, int]:
    """The figures above the pass-rate chart: rules checked, rules with findings, rows with a finding."""
    failing = rates[rates["rows_failed"] > 0]
    return {"rules_checked": len(rates), "rules_with_findings": len(failing),
            "rows_with_a_finding": int(rates["rows_failed"].sum())}


def findings(con, severity: str | None = None, limit: int = 100_000) -> pd.DataFrame:
    """The findings of the loads behind the current data (warnings that loaded; errors of quarantined rows)."""
    if not _has_meta(con, "findings"):
        return pd.DataFrame(columns=["rule_id", "severity", "table", "file", "row", "column", "value",
                                     "project_id", "message", "load_id"])
    return run(con, "views/quality/findings", {"severity": severity, "limit": limit})


def warnings_by_manager(con) -> pd.DataFrame:
    """Warnings that name a project, grouped by its project manager and rule — who to ask to fix what."""
    if not _has_meta(con, "findings"):
        return pd.DataFrame(columns=["project_manager", "rule_id", "warnings", "projects"])
    return run(con, "views/quality/warnings_by_manager", {"severity": WARNING})


def stale_reports(con, filters: Filters) -> pd.DataFrame:
    """Active projects whose latest report is stale at end(M) (older than contract.STALE_REPORT_DAYS
    days), or missing: the rows the stale_status_share card counts."""
    rows = lineage.kpi_rows(con, "stale_status_share", filters)
    if rows.empty or "counted" not in rows:
        return pd.DataFrame(columns=["project_id", "project_name", "portfolio", "report_date", "days_since_report"])
    rows = rows[rows["counted"]]
    return rows.drop(columns=["counted", "is_stale"], errors="ignore").reset_index(drop=True)


def quarantined_rows(con) -> pd.DataFrame:
    """Rows set aside by quarantine loads, with their rules, reasons and the record as read."""
    if not _has_meta(con, "quarantine"):
        return pd.DataFrame(columns=["load_id", "table", "file", "row", "rule_ids", "reasons", "record"])
    return run(con, "views/quality/quarantined_rows")


# -- the loads ---------------------------------------------------------------------------------------

def loaded_batches(con) -> pd.DataFrame:
    """The loads recorded in the database, newest first, with rows loaded per table."""
    cols = ["load_id", "started_at", "finished_at", "batch", "files", "rows_loaded", "rows_rejected", "quarantine",
            "message"]
    if not _has_meta(con, "load_log"):
        return pd.DataFrame(columns=cols)
    frame = run(con, "views/quality/loads", {"status": None})
    frame["files"] = frame["files"].map(_file_names)
    frame["rows_loaded"] = frame["rows_loaded"].map(_total_rows)
    frame["rows_rejected"] = frame["rows_rejected"].map(_total_rows)
    return frame[cols]


def _file_names(text) -> str:
    try:
        return ", ".join(f.get("name", "?") for f in json.loads(text or "[]"))
    except (TypeError, ValueError, AttributeError):
        return ""


def _total_rows(text) -> int:
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return 0
    return int(sum(value.values())) if isinstance(value, dict) else 0


def load_attempts(db_path: str | Path) -> pd.DataFrame:
    """Every load attempt from the load log beside the database — rejected and failed ones too, which
    never reach the database itself — newest first."""
    # Imported here, not at the top: the loader and its readers take most of a second to import,
    # which only this table of the Data quality page needs.
    from ..warehouse import load_history

    cols = ["load_id", "started_at", "finished_at", "status", "batch", "files", "rows_read", "rows_loaded",
            "message"]
    history = load_history(db_path)
    if not history:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(history)
    for col in cols:
        if col not in frame:
            frame[col] = None
    frame["files"] = frame["files"].map(lambda v: ", ".join(f.get("name", "?") for f in v) if isinstance(v, list) else "")
    for col in ("rows_read", "rows_loaded"):
        frame[col] = frame[col].map(lambda v: int(sum(v.values())) if isinstance(v, dict) else None)
    for col in ("started_at", "finished_at"):
        frame[col] = pd.to_datetime(frame[col], errors="coerce")
    return frame[cols]
