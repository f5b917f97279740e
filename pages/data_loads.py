"""Data loads: upload extracts (files, a zip or one workbook) with an optional mapping, read the
validation report, then load — all or nothing, with a progress bar.

Only PMO leads may load: the page asks for the password configured as `[data_loads] password` in
.streamlit/secrets.toml (or PMO_DATA_LOADS_PASSWORD) before it shows any upload widget, and
without one configured it explains how to switch loading on and loads nothing.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import streamlit as st

from pages import _widgets as ui
from pages._context import secrets
from pmo_metrics import access, downloads
from pmo_metrics.db import unreadable
from pmo_metrics.findings import BatchError
from pmo_metrics.sources.policy import SourcePolicy
from pmo_metrics.archive import archive_bytes
from pmo_metrics.warehouse import LoadBusy, archive_dir, load_batch, validate_batch

STATE = "upload_state"      # the staged upload and its validation report
RESULT = "upload_result"    # the outcome of the last load, shown once after the rerun
GENERATION = "upload_gen"   # bumped after a load so the uploaders start empty
PASSWORD_BOX = "data_loads_password"
TABLE_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "ods", "parquet", "json", "jsonl", "ndjson", "zip"]


def _signature(files, mapping, quarantine: bool) -> str:
    h = hashlib.sha256()
    for f in list(files) + ([mapping] if mapping is not None else []):
        h.update(f"{f.name}\0{f.size}\0{getattr(f, 'file_id', '')}\n".encode())
    h.update(b"q" if quarantine else b"-")
    return h.hexdigest()


def _discard(state: dict | None) -> None:
    if state and state.get("dir"):
        state["dir"].remove()


def _stage_and_validate(files, mapping, db_path: str, max_mb: int, policy: SourcePolicy) -> dict:
    # Removed when the upload changes or loads, when it cannot be read, and at the latest when the
    # session ends (the folder object is collected with the session's state).
    work = downloads.StagingFolder()
    state: dict = {"dir": work, "report": None, "staged": None, "problem": None}
    try:
        # A batch, as uploaded or unpacked, may be ten times the per-file limit (CSV zips about that well).
        staged = downloads.stage_upload([(f.name, f.getvalue()) for f in files], work,
                                        max_bytes=max_mb * 1024 ** 2 * 10, max_upload_bytes=max_mb * 1024 ** 2 * 10,
                                        mapping=None if mapping is None else (mapping.name, mapping.getvalue()))
        state["staged"] = staged
        bar = st.progress(0.0, text="Checking the batch …")
        # An unreadable database has no loaded tables to check references against; the load rebuilds it.
        _, report = validate_batch(staged.batch_path, staged.mapping_path, None if unreadable(db_path) else db_path,
                                   progress=lambda msg, frac: bar.progress(min(frac / 0.7, 1.0), text=msg),
                                   policy=policy)
        bar.empty()
        state["report"] = report
    except (downloads.UploadError, BatchError) as exc:
        state["problem"] = str(exc).splitlines()[0]
        work.remove()  # nothing of an unreadable upload is needed again
    return state


def _shown(frame, scope: access.Scope):
    """The findings a person may read: a scoped one gets those about rows already loaded as counts."""
    return access.withhold_loaded_findings(frame) if scope.restricted else frame


def _show_report(report, quarantine: bool, scope: access.Scope) -> bool:
    """The validation report; returns whether the batch may be loaded."""
    c1, c2, c3 = st.columns(3)
    c1.metric("Rows read", f"{sum(report.rows_read.values()):,}")
    c2.metric("Errors", f"{report.n_errors:,}")
    c3.metric("Warnings", f"{report.n_warnings:,}")
    st.caption("Tables in the batch: " + ", ".join(
        f"{ui.esc(t)} ({n:,} rows)" for t, n in sorted(report.rows_read.items())))
    frame = _shown(report.to_frame(), scope)
    ui.table(frame, "Validation report", key="upload_report",
             empty_message="No errors and no warnings: the batch passes every rule.",
             columns={"severity": ui.enum_col("Severity", "severity"), "rule_id": ui.text_col("Rule"),
                      "table": ui.text_col("Table"),
                      "file": ui.text_col("File"), "row": ui.count_col("Row"), "column": ui.text_col("Column"),
                      "value": ui.text_col("Value"), "message": ui.text_col("Message", width="large")})
    if report.n_errors and not quarantine:
        st.error(f"This batch would be rejected: {report.n_errors:,} error(s). Nothing will be loaded and the "
                 "data on the dashboard stays as it is. Fix the extracts and upload them again, or switch on "
                 "quarantine to load the valid rows.")
        return False
    if report.n_errors:
        st.warning(f"{report.n_errors:,} error(s): with quarantine on, the rows in error are set aside (see the "
                   "data quality page) and the valid rows load. Errors that no row can be set aside for still "
                   "reject the whole batch.")
    else:
        st.success("The batch passes every error rule and can be loaded.")
    return True


def _load(state: dict, db_path: str, quarantine: bool, policy: SourcePolicy, scope: access.Scope) -> None:
    staged = state["staged"]
    bar = st.progress(0.0, text="Loading …")
    try:
        result = load_batch(staged.batch_path, db_path, staged.mapping_path, quarantine=quarantine,
                            progress=lambda msg, frac: bar.progress(min(max(frac, 0.0), 1.0), text=msg),
                            replace_corrupt=unreadable(db_path), policy=policy)
    except LoadBusy as exc:
        bar.empty()
        st.warning(str(exc))
        return
    except Exception as exc:  # noqa: BLE001 — the loader left the database unchanged; say so
        bar.empty()
        st.error(f"The load failed and the database is unchanged: {ui.esc(str(exc).splitlines()[0])}")
        return
    bar.empty()
    st.session_state[RESULT] = {"status": result.status, "message": result.message,
                                "report": _shown(result.report.to_frame(), scope)}
    _discard(state)
    st.session_state.pop(STATE, None)
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1
    st.rerun()


def unlocked() -> bool:
    """Whether this session may load data; otherwise shows why not (and the password box)."""
    expected = access.data_loads_password(secrets(), os.environ)
    if expected is None:
        st.info("Loading data is switched off: no PMO-lead password is configured. To switch it on, set "
                "`password` under `[data_loads]` in `.streamlit/secrets.toml` (see "
                "`.streamlit/secrets.toml.example`) or the environment variable `PMO_DATA_LOADS_PASSWORD`, "
                "and restart the dashboard. Until then the data can be loaded from the command line: "
                "`python -m pmo_metrics load BATCH`.", icon=":material/lock:")
        return False
    return ui.pmo_lead_unlocked(expected, "Loading data is for PMO leads. Enter the PMO-lead password to upload "
                                "extracts.", PASSWORD_BOX)


def render() -> None:
    ctx = ui.header("Data loads")
    if not unlocked():
        return
    folders, size = archive_bytes(archive_dir(Path(ctx.db_path)))
    st.caption(f"The archive holds the raw files of {folders:,} load(s), {size / 1024 ** 2:,.1f} MB: those of the "
               f"last {ctx.settings.archive_keep_loads:,} loads and of every load of the last "
               f"{ctx.settings.archive_keep_months:,} month(s) are kept.")
    st.markdown(
        "Upload one file per table, named after it (`projects.csv`, `status_reports.xlsx`, …), a **zip** of "
        "them, or **one workbook** with a sheet per table. Each table you upload replaces that table's rows; "
        "tables you leave out keep theirs. Exports in another shape need a **mapping** file. The batch is "
        "checked against every data accuracy rule before anything is written, and a load is all or nothing.")

    result = st.session_state.pop(RESULT, None)
    if result:
        (st.success if result["status"] == "loaded" else st.info)(ui.esc(result["message"]))
        if result["status"] == "loaded":
            st.caption("Every page now shows the new data.")
        ui.table(result["report"], "Load report", key="load_report")

    if unreadable(ctx.db_path):
        st.warning("The current database file cannot be read. Loading a batch here sets it aside (kept beside "
                   "it as `….corrupt-<load id>`) and builds a new database from the batch.")

    gen = st.session_state.get(GENERATION, 0)
    max_mb = ctx.settings.max_upload_mb
    files = st.file_uploader("Extracts", type=TABLE_TYPES, accept_multiple_files=True, key=f"upload_files_{gen}",
                             max_upload_size=max_mb, help=f"Up to {max_mb:,} MB per file.")
    mapping = st.file_uploader("Mapping (optional, TOML)", type=["toml"], key=f"upload_mapping_{gen}",
                               max_upload_size=max_mb)
    quarantine = st.toggle("Quarantine: load the valid rows and set the rejected ones aside",
                           value=ctx.settings.quarantine_uploads, key=f"upload_quarantine_{gen}")

    state = st.session_state.get(STATE)
    if not files:
        _discard(state)
        st.session_state.pop(STATE, None)
        st.info("Choose the files to load; the validation report appears here before anything is written.")
        return

    signature = _signature(files, mapping, quarantine)
    if state is None or state.get("signature") != signature:
        _discard(state)
        state = _stage_and_validate(files, mapping, ctx.db_path, max_mb, SourcePolicy.for_upload(ctx.settings))
        state["signature"] = signature
        st.session_state[STATE] = state

    if state["problem"]:
        st.error(f"These files cannot be read as a batch: {ui.esc(state['problem'])}")
        return
    staged = state["staged"]
    st.caption("Staged: " + ", ".join(ui.esc(f) for f in staged.files)
               + (f"; mapping {ui.esc(staged.mapping_path.name)}" if staged.mapping_path else "")
               + (f"; ignored {', '.join(ui.esc(f) for f in staged.ignored)}" if staged.ignored else ""))
    loadable = _show_report(state["report"], quarantine, ctx.scope)
    if st.button("Load into the database", type="primary", disabled=not loadable, key="upload_load",
                 icon=":material/database_upload:"):
        _load(state, ctx.db_path, quarantine, SourcePolicy.for_upload(ctx.settings), ctx.scope)


render()
