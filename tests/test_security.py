"""Who may change data and who sees what: the PMO-lead password on the Data loads page, business-unit
scoping through every path (pages, URL filters, the project link, downloads, the review exports), and
hostile values in the URL or the data that must stay inert.
"""
from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from pmo_metrics import access
from pmo_metrics.filters import Filters

from test_app import APP, TIMEOUT, demo, problems, use_db  # noqa: F401 — fixtures shared with the app tests


def _at(secrets: dict | None = None, query: dict | None = None, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    if user is not None:
        at.user.clear()
        at.user.update(user)
    if query:
        at.query_params.update(query)
    return at


# -- the PMO-lead password -------------------------------------------------------------------------

def test_password_comparison_and_configuration():
    assert access.password_matches("s3cret", "s3cret")
    assert not access.password_matches("s3cre", "s3cret")
    assert not access.password_matches("", "s3cret") and not access.password_matches(None, "s3cret")
    assert access.password_matches("pässwörd", "pässwörd")
    assert access.data_loads_password({}, {}) is None
    assert access.data_loads_password({"data_loads": {"password": "change-me"}}, {}) is None  # the example's
    assert access.data_loads_password({"data_loads": {"password": "  "}}, {}) is None
    assert access.data_loads_password({"data_loads": {"password": "a"}}, {"PMO_DATA_LOADS_PASSWORD": "b"}) == "a"
    assert access.data_loads_password({}, {"PMO_DATA_LOADS_PASSWORD": "b"}) == "b"
    assert access.password_fingerprint("a") != access.password_fingerprint("b")


def test_the_throttle_slows_guessing_and_locks_a_session_out():
    t = access.Throttle(base_delay_s=0.5, max_delay_s=2.0, max_attempts=3, lockout_s=60)
    assert [t.delay_after_failure() for _ in range(5)] == [0.5, 1.0, 1.5, 2.0, 2.0]
    assert t.locked_for(2, time.monotonic()) == 0
    assert 59 < t.locked_for(3, time.monotonic()) <= 60
    assert t.locked_for(3, time.monotonic() - 61) == 0


def test_without_a_password_the_data_loads_page_loads_nothing(demo, use_db):
    use_db(demo["db"])
    at = _at().run()
    at.switch_page("pages/data_loads.py").run()
    assert not problems(at)
    assert not at.file_uploader and not at.text_input
    assert any("PMO_DATA_LOADS_PASSWORD" in i.value and "[data_loads]" in i.value for i in at.info)


def test_viewers_see_a_password_box_and_never_an_upload_widget(demo, use_db, fresh_throttle):
    use_db(demo["db"])
    at = _at({"data_loads": {"password": "the-lead-pw"}}).run()
    at.switch_page("pages/data_loads.py").run()
    assert not at.file_uploader
    box = at.text_input(key="data_loads_password")
    assert box.proto.type == box.proto.PASSWORD                  # masked as it is typed

    started = time.monotonic()
    at.text_input(key="data_loads_password").input("the-lead-PW").run()
    assert time.monotonic() - started >= 0.9                     # a wrong guess costs time
    assert not at.file_uploader
    assert any("Wrong password (1 of" in e.value for e in at.error)
    assert at.text_input(key="data_loads_password").value == ""  # the attempt is not kept

    at.text_input(key="data_loads_password").input("the-lead-pw").run()
    assert not problems(at)
    assert at.file_uploader and not at.text_input
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/data_loads.py").run()
    assert at.file_uploader                                      # unlocked for the rest of the session


def test_the_password_may_come_from_the_environment(demo, use_db, fresh_throttle):
    use_db(demo["db"], PMO_DATA_LOADS_PASSWORD="from-env")
    at = _at().run()
    at.switch_page("pages/data_loads.py").run()
    at.text_input(key="data_loads_password").input("from-env").run()
    assert at.file_uploader


def test_a_session_is_locked_out_after_repeated_failures(demo, use_db, monkeypatch, fresh_throttle):
    import pages.data_loads as loads_page  # noqa: F401 — the throttle lives in the page's resource cache

    monkeypatch.setattr(access.Throttle, "delay_after_failure", lambda self: 0.0)
    use_db(demo["db"])
    at = _at({"data_loads": {"password": "right"}}).run()
    at.switch_page("pages/data_loads.py").run()
    for _ in range(5):
        at.text_input(key="data_loads_password").input("wrong").run()
    assert any("Too many wrong passwords" in e.value for e in at.error)
    assert not at.text_input and not at.file_uploader


# -- business-unit scoping ---------------------------------------------------------------------------

ALLOWED = "Retail"
SCOPED = {"scoping": {"default_user": "alice", "users": {"alice": [ALLOWED], "boss": ["*"]}}}
ALL_PAGES = ["pages/overview.py", "pages/portfolio.py", "pages/project.py", "pages/finance.py",
             "pages/resources.py", "pages/benefits.py", "pages/maturity.py", "pages/monthly_review.py",
             "pages/data_quality.py", "pages/data_loads.py", "pages/subscriptions.py", "pages/glossary.py"]


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def page_text(at: AppTest) -> str:
    """Everything a page put on the screen: element protos (text, options, figure specs) and the
    full contents of every table."""
    import pandas as pd

    out = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        try:
            value = node.value
        except Exception:  # noqa: BLE001 — not every element has a value
            value = None
        if isinstance(value, (pd.DataFrame, pd.Series)):
            out.append(value.to_csv())
        elif isinstance(value, (str, list, tuple)):
            out.append(str(value))
    return "\n".join(out)


def other_units(demo) -> tuple[set[str], set[str]]:
    """(project ids, project names) of every project outside the allowed unit."""
    p = demo["projects"]
    other = p[p["business_unit"] != ALLOWED]
    return set(other["project_id"]), set(other["project_name"])


def leaks(text: str, demo) -> list[str]:
    ids, names = other_units(demo)
    found = [i for i in ids if i in text] + [n for n in names if n in text]
    p = demo["projects"]
    found += [u for u in set(p["business_unit"]) - {ALLOWED} if f'"{u}"' in text or f",{u}," in text]
    return found


@pytest.fixture
def recorded_downloads(monkeypatch):
    """Every table download offered, rendered as the CSV a click would give."""
    import pages._widgets as ui
    from pmo_metrics import downloads

    seen: list[bytes] = []
    original = ui.download_buttons

    def record(df, name, key, fields=None):
        shown = fields or [downloads.Field(str(c), str(c)) for c in df.columns]
        seen.append(downloads.to_csv_bytes(downloads.as_shown(df, shown)))
        return original(df, name, key, fields)

    monkeypatch.setattr(ui, "download_buttons", record)
    return seen


def test_scope_narrows_filters_and_an_empty_intersection_selects_nothing():
    scope = access.Scope("alice", frozenset({"Retail", "Logistics"}))
    assert scope.apply(Filters()).business_units == ("Logistics", "Retail")
    assert scope.apply(Filters(business_units=("Retail", "Manufacturing"))).business_units == ("Retail",)
    assert scope.apply(Filters(business_units=("Manufacturing",))).business_units == (access.NO_UNIT,)
    assert access.Scope("x", frozenset()).apply(Filters()).business_units == (access.NO_UNIT,)
    assert access.UNRESTRICTED.apply(Filters(portfolios=("P",))) == Filters(portfolios=("P",))

    conf = {"scoping": {"default_user": "alice", "users": {"Alice": ["Retail"], "boss": ["*"], "solo": "Logistics"}}}
    assert access.resolve_scope({}, "anyone", {}) is access.UNRESTRICTED
    assert access.resolve_scope(conf, None, {}).business_units == {"Retail"}          # default_user, any case
    assert access.resolve_scope(conf, None, {"PMO_USER": "solo"}).business_units == {"Logistics"}
    assert access.resolve_scope(conf, "boss", {"PMO_USER": "solo"}).business_units is None  # signed-in wins
    assert access.resolve_scope(conf, "mallory", {}).business_units == frozenset()   # not listed: nothing
    assert access.resolve_scope({"scoping": {"users": {"a": ["Retail"]}}}, None, {}).business_units == frozenset()


def test_a_scoped_user_sees_only_their_unit_on_every_page(demo, use_db, recorded_downloads):
    use_db(demo["db"])
    at = _at(SCOPED).run()
    assert not problems(at)
    in_unit = demo["projects"].query("business_unit == @ALLOWED")
    assert at.multiselect(key="f_business_unit").options == [ALLOWED]
    for page in ALL_PAGES:
        at.switch_page(page).run()
        assert not problems(at), page
        assert not leaks(page_text(at), demo), page
    assert recorded_downloads and not any(leaks(b.decode("utf-8-sig"), demo) for b in recorded_downloads)
    at.switch_page("pages/project.py").run()
    assert set(at.selectbox(key="project_pick").options) <= {
        f"{p} · {n}" for p, n in zip(in_unit["project_id"], in_unit["project_name"])}


def test_another_units_filter_value_or_project_link_opens_nothing_of_it(demo, use_db):
    use_db(demo["db"])
    p = demo["projects"]
    other = p[p["business_unit"] != ALLOWED].iloc[0]
    only_other_portfolios = set(p["portfolio"]) - set(p.query("business_unit == @ALLOWED")["portfolio"])
    baseline = _at(SCOPED).run()
    cards = {m.label: m.value for m in baseline.metric}

    at = _at(SCOPED, {"business_unit": other["business_unit"], "project": other["project_id"],
                      **({"portfolio": sorted(only_other_portfolios)} if only_other_portfolios else {})}).run()
    assert not problems(at)
    assert at.multiselect(key="f_business_unit").value == []
    assert {m.label: m.value for m in at.metric} == cards          # the same as the unit's own figures
    assert not leaks(page_text(at), demo)
    at.switch_page("pages/project.py").run()
    assert not problems(at)
    assert at.selectbox(key="project_pick").value != other["project_id"]
    assert not leaks(page_text(at), demo)


def test_the_review_exports_hold_only_the_users_unit(demo, use_db):
    import io

    from pptx import Presentation

    from pmo_metrics import report
    from pmo_metrics import review as rv
    from pmo_metrics.db import Warehouse

    use_db(demo["db"])
    at = _at(SCOPED).run()
    at.switch_page("pages/monthly_review.py").run()
    assert not problems(at)
    ctx = at.session_state["pmo_context"]
    assert ctx.filters.business_units == (ALLOWED,)
    cur = Warehouse(demo["db"]).cursor()
    try:
        review = rv.build_review(cur, ctx.filters, None)    # what the page's download buttons render
    finally:
        cur.close()
    html = report.render_html(review, "")
    deck = Presentation(io.BytesIO(report.render_pptx(review)))
    deck_text = "\n".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes
                          if shape.has_text_frame)
    deck_text += "\n".join(str(cell.text) for slide in deck.slides for shape in slide.shapes
                           if shape.has_table for row in shape.table.rows for cell in row.cells)
    assert ALLOWED in html
    assert not leaks(html, demo) and not leaks(deck_text, demo)


def test_an_unlisted_user_sees_nothing_and_the_signed_in_account_decides(demo, use_db):
    use_db(demo["db"], PMO_USER="mallory")
    at = _at(SCOPED).run()
    assert not problems(at)
    assert {m.label: m.value for m in at.metric}["Active projects"] == "0"
    assert not leaks(page_text(at), demo)

    auth = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32}}
    at = _at({**SCOPED, **auth}, user={"is_logged_in": False}).run()
    assert at.button(key="sign_in") and not at.metric         # not signed in: nothing but the sign-in
    at = _at({**SCOPED, **auth}, user={"is_logged_in": True, "email": "BOSS"}).run()
    assert not problems(at)
    assert len(at.multiselect(key="f_business_unit").options) == demo["projects"]["business_unit"].nunique()


# -- hostile values in the URL and in the data -------------------------------------------------------

INJECTIONS = ["' OR 1=1 --", '"; DROP TABLE projects; --']
URL_PARAMS = ["as_of", "portfolio", "program", "business_unit", "objective", "department", "project",
              "drill_portfolio", "drill_program", "vs", "section"]


def _sha(path) -> str:
    import hashlib

    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _figures(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_sql_in_every_url_parameter_is_inert_on_every_page(demo, use_db):
    use_db(demo["db"])
    digest = _sha(demo["db"])
    clean = _at().run()
    expected = {}
    for page in ALL_PAGES:
        clean.switch_page(page).run()
        expected[page] = _figures(clean)
    for payload in INJECTIONS:
        at = _at(query={p: payload for p in URL_PARAMS}).run()
        for page in ALL_PAGES:
            at.query_params.update({p: payload for p in URL_PARAMS})
            at.switch_page(page).run()
            assert not problems(at), (payload, page)
            assert at.title, (payload, page)
            assert _figures(at) == expected[page], (payload, page)
            assert not {p for p in ("as_of", "portfolio", "program", "business_unit", "objective", "department")
                        if at.query_params.get(p) == payload}, (payload, page)
    assert _sha(demo["db"]) == digest
    from pmo_metrics.db import Warehouse

    cur = Warehouse(demo["db"]).cursor()
    try:
        assert cur.execute("select count(*) from main.projects").fetchone()[0] == len(demo["projects"])
    finally:
        cur.close()


HOSTILE = {"html": "<img src=x onerror=alert(1)>", "md": "**bold** [link](javascript:alert(1))",
           "formula": '=HYPERLINK("http://evil.example","click")'}


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory, demo):
    """The demo with three active projects renamed to markup, markdown and a spreadsheet formula,
    and one portfolio renamed to markdown."""
    import shutil

    import pandas as pd

    from pmo_metrics.warehouse import load_batch

    tmp = tmp_path_factory.mktemp("hostile")
    shutil.copytree(demo["batch"], tmp / "batch")
    projects = pd.read_csv(tmp / "batch" / "projects.csv")
    active = projects.index[projects["stage"] == "execution"][:3]
    for i, name in zip(active, HOSTILE.values()):
        projects.loc[i, "project_name"] = name
    portfolio = projects.loc[active[0], "portfolio"]
    projects.loc[projects["portfolio"] == portfolio, "portfolio"] = "__Port__ <b>folio</b>"
    projects.to_csv(tmp / "batch" / "projects.csv", index=False)
    result = load_batch(tmp / "batch", tmp / "pmo.duckdb")
    assert result.ok, result.message
    return {"db": tmp / "pmo.duckdb", "ids": projects.loc[active, "project_id"].tolist()}


RAW_MARKUP = [r"(?<!\\)<img", r"(?<!\\)<b>", r"(?<![\\*])\*\*bold", r"(?<!\\)\]\(javascript", r"(?<![\\_])__Port"]


def _markdown_texts(at: AppTest) -> list[str]:
    texts = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success"):
        texts += [e.value for e in getattr(at, kind)]
    texts += [b.label for b in at.button] + [e.label for e in at.expander] + [t.label for t in at.tabs]
    texts += [m.label for m in at.metric] + [m.value for m in at.metric]
    return texts


def test_names_from_the_data_show_literally_on_every_page(hostile_db, use_db, recorded_downloads):
    import csv
    import io
    import re

    use_db(hostile_db["db"])
    at = _at().run()
    for pid in [None, *hostile_db["ids"]]:
        for page in ALL_PAGES:
            if pid is not None and page != "pages/project.py":
                continue
            if pid is not None:
                at.query_params["project"] = pid
                at.session_state["project_pick"] = pid
            at.switch_page(page).run()
            assert not problems(at), page
            for text in _markdown_texts(at):
                for pattern in RAW_MARKUP:
                    assert not re.search(pattern, text), (page, pattern, text)
            if pid is not None:  # the name is on screen, escaped, not dropped
                assert any(HOSTILE["html"] in h.value.replace("\\", "") or HOSTILE["md"] in h.value.replace("\\", "")
                           or "HYPERLINK" in h.value for h in at.subheader)
    # every table download of every page: no cell can run as a spreadsheet formula
    assert recorded_downloads
    hits = 0
    for data in recorded_downloads:
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
            for cell in row:
                assert not cell.startswith(("=", "@", "+")), cell
                if "HYPERLINK" in cell:
                    hits += 1
                    assert cell.startswith("'"), cell
    assert hits, "no download held the formula-named project"


def test_the_upload_page_refuses_unsupported_files_and_bombs_with_one_line(demo, use_db, tmp_path):
    import io
    import zipfile

    from test_app import LOADS_PASSWORD

    use_db(demo["db"], PMO_DATA_LOADS_PASSWORD=LOADS_PASSWORD, PMO_MAX_UPLOAD_MB="1")
    digest = _sha(demo["db"])
    at = _at().run()
    at.switch_page("pages/data_loads.py").run()
    at.text_input(key="data_loads_password").input(LOADS_PASSWORD).run()
    # Streamlit's uploader refuses other extensions itself; inside a zip, the staging does
    exe = io.BytesIO()
    with zipfile.ZipFile(exe, "w") as z:
        z.writestr("run.exe", b"MZ\x90\x00")
    at.file_uploader[0].upload("tools.zip", exe.getvalue(), "application/zip")
    at.run()
    assert not at.exception
    assert any("run.exe is not a supported type" in e.value.replace("\\", "") for e in at.error)

    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("projects.csv", b"0" * (11 * 1024 ** 2))    # 11 MB from a few kB: past 10 × 1 MB
    at = _at().run()
    at.switch_page("pages/data_loads.py").run()
    at.text_input(key="data_loads_password").input(LOADS_PASSWORD).run()
    at.file_uploader[0].upload("bomb.zip", bomb.getvalue(), "application/zip")
    at.run()
    assert not at.exception
    assert any("unpacks to more than 10 MB" in e.value for e in at.error)
    assert not any(b.key == "upload_load" for b in at.button)
    assert _sha(demo["db"]) == digest


def test_an_uploaded_mapping_cannot_read_the_server_or_a_database(demo, use_db, tmp_path, monkeypatch):
    """A mapping uploaded on the page may not name files outside the upload, nor read a database
    (not even during validation, before anyone presses Load)."""
    import sqlite3

    from test_app import LOADS_PASSWORD

    secret = tmp_path / "server-secret.csv"
    secret.write_text("project_id\nS3cretPgPass!\n", encoding="utf-8")
    source = tmp_path / "pmis.sqlite"
    con = sqlite3.connect(source)
    con.execute("CREATE TABLE proj (x)")
    con.commit()
    con.close()
    source_digest = _sha(source)
    monkeypatch.setenv("PMIS_DB_URL", f"sqlite:///{source}")
    use_db(demo["db"], PMO_DATA_LOADS_PASSWORD=LOADS_PASSWORD)
    digest = _sha(demo["db"])
    projects = (demo["batch"] / "projects.csv").read_bytes()
    mappings = {
        "outside": (f'[tables.projects]\nfrom = "{secret}"\n', "is outside the batch folder"),
        "dotdot": ('[tables.projects]\nfrom = "../../server-secret.csv"\n', "is outside the batch folder"),
        "database": ('[sources.pmis]\nkind = "database"\nurl = "${PMIS_DB_URL}"\n'
                     '[tables.projects]\nfrom = "pmis"\nquery = "DROP TABLE proj"\n',
                     "reads a database; a mapping uploaded on the Data loads page may not"),
    }
    for name, (text, expected) in mappings.items():
        at = _at().run()
        at.switch_page("pages/data_loads.py").run()
        at.text_input(key="data_loads_password").input(LOADS_PASSWORD).run()
        at.file_uploader[0].upload("projects.csv", projects, "text/csv")
        at.file_uploader[1].upload("mapping.toml", text.encode("utf-8"), "application/toml")
        at.run()
        assert not at.exception, name
        shown = " ".join(e.value.replace("\\", "") for e in at.error)
        assert expected in shown, (name, shown)
        assert "S3cret" not in shown
        assert not any(b.key == "upload_load" and not b.disabled for b in at.button), name
    assert _sha(demo["db"]) == digest
    assert _sha(source) == source_digest


# -- lock-out across sessions, and what a scoped lead's validation report shows ------------------------

@pytest.fixture
def fresh_throttle():
    """The server's guessing throttle lives in the resource cache: start and leave it empty."""
    from pages import _widgets

    _widgets._throttle.clear()
    yield
    _widgets._throttle.clear()


def test_the_lockout_counts_per_client_address_and_for_the_whole_server():
    t = access.Throttle(base_delay_s=0.0, max_attempts=3, lockout_s=60, window_s=60, server_attempts=5)
    for _ in range(3):
        t.failed("10.0.0.1")
    assert 59 < t.client_locked_for("10.0.0.1") <= 60           # that address, whatever its session
    assert t.client_locked_for("10.0.0.2") == 0                 # another address may still try
    t.failed("10.0.0.2")
    t.failed("10.0.0.3")
    assert 59 < t.client_locked_for("10.0.0.9") <= 60           # five failures anywhere lock everyone out


def test_a_fresh_session_does_not_reset_the_lockout(demo, use_db, monkeypatch, fresh_throttle):
    monkeypatch.setattr(access.Throttle, "delay_after_failure", lambda self: 0.0)
    use_db(demo["db"])
    secrets = {"data_loads": {"password": "right"}}
    guesser = _at(secrets).run()
    guesser.switch_page("pages/data_loads.py").run()
    for _ in range(5):
        guesser.text_input(key="data_loads_password").input("wrong").run()
    fresh = _at(secrets).run()                                    # a new browser session, same address
    fresh.switch_page("pages/data_loads.py").run()
    assert any("Too many wrong passwords" in e.value for e in fresh.error)
    assert not fresh.text_input and not fresh.file_uploader


def test_findings_about_loaded_rows_are_counted_not_shown_to_a_scoped_lead():
    import pandas as pd

    frame = pd.DataFrame([
        {"rule_id": "SCHEMA", "severity": "error", "table": "projects", "message": "bad", "file": "projects.csv",
         "row": 2, "column": "stage", "value": "doing", "project_id": "P1"},
        {"rule_id": "REF-PROJECT", "severity": "error", "table": "financials", "message": "2 loaded rows refer to P2",
         "file": "(already loaded)", "row": None, "column": "project_id", "value": "P2", "project_id": "P2"},
        {"rule_id": "REF-PROJECT", "severity": "error", "table": "financials", "message": "1 loaded row refers to P3",
         "file": "(already loaded)", "row": None, "column": "project_id", "value": "P3", "project_id": "P3"},
    ])
    shown = access.withhold_loaded_findings(frame)
    assert shown["value"].tolist()[0] == "doing"
    assert len(shown) == 2 and "2 finding(s) about rows already loaded are withheld" in shown["message"].iloc[1]
    assert not shown.astype(str).apply(lambda col: col.str.contains("P2|P3")).any().any()


def test_a_scoped_leads_validation_report_withholds_other_units_ids(tmp_path, use_db):
    from batches import tiny_tables, write_batch
    from pmo_metrics.warehouse import load_batch

    db = tmp_path / "pmo.duckdb"
    assert load_batch(write_batch(tmp_path / "all"), db, archive=False).status == "loaded"
    use_db(db, loads=True)
    secrets = {"data_loads": {"password": "right"},
               "scoping": {"default_user": "rita", "users": {"rita": ["Retail"]}}}
    at = _at(secrets).run()
    at.switch_page("pages/data_loads.py").run()
    at.text_input(key="data_loads_password").input("right").run()
    only_p1 = write_batch(tmp_path / "p1", {"projects": tiny_tables()["projects"][:1]})  # drops Finance's P2
    at.file_uploader[0].upload("projects.csv", (only_p1 / "projects.csv").read_bytes(), "text/csv")
    at.run()
    assert not at.exception
    report = at.dataframe[0].value
    assert report["message"].str.contains("withheld").any()
    assert not report.astype(str).apply(lambda col: col.str.contains("P2")).any().any()
