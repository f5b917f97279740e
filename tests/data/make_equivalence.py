"""Writes the loader-equivalence fixtures under tests/data/equivalence/ (run from the repository root).

    python tests/data/make_equivalence.py inputs     # (re)write the synthetic input batches
    python tests/data/make_equivalence.py expected   # load every case and write what it loaded

The expected tables were written once, by the loader that read extracts with polars and checked
them with pandera (commit c2076c9), before the loader moved into DuckDB; tests/test_equivalence.py
loads the same inputs with the current loader and compares every table row for row. Rewrite
`expected` only when a change to the loaded values is intended — and say so in the commit.

Cases (each a batch folder under equivalence/, loaded with quarantine on, load date 2025-06-15):

* `gmpp_uk` — the five UK GMPP files copied from shared/real/gmpp_uk (see shared/real/SOURCES.md)
  with a copy of examples/gmpp_uk/mapping.toml: cp1252, `,` and `;`, a duplicated header, lookups,
  templates, dedupe with fill and from_first, not-values, scale.
* `synthetic` — a made-up export through a mapping: one cp1252 `;`-separated file with decimal
  commas feeding projects and status reports (renames, templates with filters, a lookup, value
  translations, constants, bands, scale, declared date formats, empty tokens, not-values dropped
  and emptied, drop_if_empty), two yearly HR files through a glob with dedupe, a workbook and a
  Parquet file read by name, and timesheets with rows that break rules (quarantined).
* `messy` — no mapping: what the readers detect by themselves (BOM, CRLF, UTF-16, separators,
  decimal commas per column, currency and thousands, day-first and ISO-datetime dates, month
  spellings, booleans, blank lines and multi-line cells, duplicate headers, an unknown file).

`parse_corpus.parquet` holds the old parsers' reading of several thousand cell values per type and
option set (one value per column, and whole mixed columns), so that the new parsers can be held to
exactly the same results.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent / "equivalence"
REPO = Path(__file__).resolve().parents[2]
LOAD_DATE = dt.date(2025, 6, 15)
CASES = {"gmpp_uk": "mapping.toml", "synthetic": "mapping.toml", "messy": None}


def _write(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


# --- the synthetic batch --------------------------------------------------------------------

SYNTHETIC_MAPPING = """\
# A made-up PMIS export (German headers, cp1252, ';' and decimal commas), two yearly HR files, and
# tables read by name with the defaults below.
version = 1
description = "equivalence fixture: every mapping feature on one small batch"

[defaults]
empty = ["n/a", "TBC", "-"]
not_values = ["Exempt*", "Withheld"]

[sources.pmis]
path = "pmis_export.csv"
encoding = "cp1252"
separator = ";"
decimal = ","
date_formats = ["%d.%m.%Y", "%d.%m.%y"]
currency = ["€", "EUR"]
columns = { budget = ["Budget (EUR)", "Budget alt"], prog = "Programm" }
constants = { as_at = "2025-05-31" }

[sources.hr]
path = "hr_*.csv"

[lookups.pm_name]
from = ["hr"]
key = "{Staff No|upper}"
value = "{Name|squash}"
keep = "first"

[tables.projects]
from = ["pmis"]
not_value_action = "null"
[tables.projects.columns]
project_id = "PRJ-{Nr}"
project_name = "Titel"
portfolio = "{Bereich|slug}"
business_unit = "{Bereich|upper}"
program = "prog"
project_manager = ["{PM|upper|lookup:pm_name}", "{PM Name|squash}"]
delivery_approach = "Methode"
stage = "Phase"
priority_score = "Prio"
start_date = "Start"
baseline_finish_date = "Ende"
forecast_finish_date = "Prognose"
actual_finish_date = "Ist-Ende"
budget_at_completion = "budget"
[tables.projects.constants]
delivery_approach = "predictive"
strategic_objective_id = "OBJ-1"
[tables.projects.values.stage]
"In Arbeit" = "execution"
"Abgeschlossen" = "closed"
"Pausiert" = "on hold"
[tables.projects.values.delivery_approach]
"Scrum" = "agile"
"Wasserfall" = "predictive"
[tables.projects.scale]
budget_at_completion = 1000

[tables.status_reports]
from = ["pmis"]
not_value_action = "drop"
drop_if_empty = ["overall_rag"]
columns = { project_id = "PRJ-{Nr}", report_date = "as_at", overall_rag = "Ampel", percent_complete = "Fortschritt", summary = "Kommentar" }
[tables.status_reports.values.overall_rag]
"Grün" = "green"
"Gelb" = "amber"
"Rot" = "red"
[tables.status_reports.bands.cost_rag]
columns = ["Kostenabw", "Kostenabw alt"]
limits = [10, 30]
labels = ["green", "amber", "red"]
[tables.status_reports.bands.schedule_rag]
columns = ["Terminabw"]
abs = false
limits = [5, 15]
labels = ["green", "amber", "red"]

[tables.resources]
from = ["hr"]
dedupe = { keep = "last", fill = true, from_first = ["start_date"] }
columns = { resource_id = "{Staff No|upper}", resource_name = "Name", role = "Role", department = "{Dept|squash}", employment_type = "Type", weekly_capacity_hours = "Hours", hourly_cost = "Rate", start_date = "Joined", end_date = "Left" }
[tables.resources.values.employment_type]
"perm" = "employee"
"temp" = "contractor"
"""

PMIS_HEADER = ["Nr", "Titel", "Bereich", "Programm", "PM", "PM Name", "Methode", "Phase", "Prio", "Start", "Ende",
               "Prognose", "Ist-Ende", "Budget (EUR)", "Budget alt", "Ampel", "Fortschritt", "Kommentar",
               "Kostenabw", "Kostenabw alt", "Terminabw", "Notiz"]
PMIS_ROWS = [
    ["17", "Webshop Relaunch", "Retail Ops", "Online", "e01", "", "Scrum", "In Arbeit", "80", "01.02.2025",
     "31.12.2025", "15.01.2026", "", "1.500,5", "", "Grün", "40,5", "Läuft; \"gut\"", "3,5", "", "-2", "x"],
    ["18", "Payroll", "finance", "", "", "  Bo   Berg ", "Wasserfall", "Abgeschlossen", "", "01.01.24",
     "31.12.24", "", "20.12.2024", "€ 500", "", "gelb", "100", "", "-12", "40", "20", "y"],
    ["19", "Lager", "Logistik", "Supply", "E02", "", "", "Pausiert", "n/a", "TBC", "30.06.2026", "-", "",
     "Withheld", "250", "Rot", "", "Mehrzeilig:\nzweite Zeile", "", "", "", ""],
    ["20", "Exempt project", "Retail Ops", "Online", "nobody", "", "Kanban", "Idee", "120", "31.02.2025",
     "2025-12-31", "", "", "12,34,5", "", "Exempt under Section 43", "55", "", "9,99", "", "", ""],
    ["21", "Ohne Bewertung", "HR", "", "", "", "Scrum", "in arbeit", "10", "01.03.2025", "01.03.2026", "", "",
     "EUR 2.000", "", "", "5", "", "31", "", "", ""],
]
HR_HEADER = "Staff No,Name,Role,Dept,Type,Hours,Rate,Joined,Left"
HR_2023 = [
    "e01,Ann  Meyer,Project Manager, IT  Ops ,perm,40,90,2019-04-01,",
    "e02,Cy Costa,Developer,IT Ops,temp,32,120.5,2023-01-01,2023-12-31",
    "e03,Dee Evans,Analyst,Finance,perm,37.5,60,2020-01-01,",
]
HR_2024 = [
    "E01,Ann Meyer,Programme Manager,IT Ops,perm,40,95,2021-04-01,",
    "e02,Cy Costa,Developer,IT Ops,temp,,125,2024-01-01,2025-12-31",
    ",No Id,Tester,QA,perm,40,50,2024-05-01,",
    "e04,Eve Fox,Architect,IT Ops,contractor,90,-5,2024-02-01,2024-01-01",
]
TIMESHEETS = ("resource_id,project_id,work_date,hours\n"
              "E01,PRJ-17,2025-06-02,7.5\n"
              "E01,PRJ-17,02/06/2025,5\n"        # day-first; 12.5 h that day: TS-DAY-TOTAL
              "E02,PRJ-17,2025-06-03,30\n"       # TS-HOURS
              "E09,PRJ-17,2025-06-03,4\n"        # REF-RESOURCE
              "E01,PRJ-99,2025-06-04,4\n"        # REF-PROJECT
              "E03,PRJ-18,2025-06-04,lots\n"     # SCHEMA: not a number
              "E03,PRJ-18,2025-13-04,2\n"        # SCHEMA: not a date
              "E02,PRJ-17,2019-01-07,3\n")       # TS-OUTSIDE-EMPLOYMENT
OBJECTIVES = "objective_id,objective_name,weight\nOBJ-1,Grow online,2\nOBJ-2,Cut cost,n/a\n"
BENEFITS = ("benefit_id,project_id,benefit_name,category,benefit_type,owner,unit,baseline_value,target_value,"
            "planned_start,planned_end\n"
            "B1,PRJ-17,Online sales,Financial,Revenue,Ann,EUR,0,\"2,000\",2025-06,Jun 2026\n"
            "B2,PRJ-18,Faster payroll,non-financial,productivity,,minutes,10,10,2025-01,2024-12\n")


def _parquet_and_workbook(folder: Path) -> None:
    import polars as pl
    import xlsxwriter

    pl.DataFrame({
        "risk_id": ["K1", "K2", "K3"], "project_id": ["PRJ-17", "PRJ-18", "PRJ-19"],
        "title": ["Supplier late", "Audit", None], "probability": [4, 6, 2], "impact": [3.0, 2.0, 2.5],
        "status": ["Open", "closed", "open"], "owner": ["Ann", None, "Cy"],
        "raised_date": [dt.date(2025, 2, 1), dt.date(2024, 3, 1), None],
        "closed_date": [None, dt.datetime(2024, 4, 1, 12, 30), None],
    }).write_parquet(folder / "risks.parquet")
    wb = xlsxwriter.Workbook(str(folder / "financials.xlsx"))
    ws = wb.add_worksheet("Ledger")
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws.write_row(2, 0, ["project_id", "period", "cost_category", "planned_cost", "actual_cost", "forecast_cost"])
    rows = [
        ["PRJ-17", dt.datetime(2025, 5, 31), "Capex", 500.25, 450, None],
        ["PRJ-17", "2025-06", "capex", "1.234,5", None, "1,234.5"],
        ["PRJ-18", "Jun 2024", "OPEX", 480, -20, 480],
        [None, None, None, None, None, None],
        ["PRJ-19", "06/2025", "capex", -5, "n/a", "Withheld"],
    ]
    for i, row in enumerate(rows, start=3):
        for j, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(i, j, v, date_fmt)
            elif v is not None:
                ws.write(i, j, v)
    ws2 = wb.add_worksheet("Notes")
    ws2.write(0, 0, "just notes")
    wb.close()


def write_synthetic() -> None:
    folder = HERE / "synthetic"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _write(folder / "mapping.toml", SYNTHETIC_MAPPING)

    def cell(v: str) -> str:
        return f'"{v.replace(chr(34), chr(34) * 2)}"' if any(ch in v for ch in ';"\n') else v

    lines = [";".join(PMIS_HEADER)] + [";".join(cell(v) for v in row) for row in PMIS_ROWS]
    _write(folder / "pmis_export.csv", "\r\n".join(lines) + "\r\n", "cp1252")
    _write(folder / "hr_2023.csv", HR_HEADER + "\n" + "\n".join(HR_2023) + "\n")
    _write(folder / "hr_2024.csv", HR_HEADER + "\n" + "\n".join(HR_2024) + "\n")
    _write(folder / "timesheets.csv", TIMESHEETS)
    _write(folder / "strategic_objectives.csv", OBJECTIVES)
    _write(folder / "benefits.csv", BENEFITS)
    _parquet_and_workbook(folder)


# --- the messy batch (no mapping) ------------------------------------------------------------

def write_messy() -> None:
    folder = HERE / "messy"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    prj = ("project_id,project_name,portfolio,business_unit,project_manager,delivery_approach,stage,"
           "priority_score,start_date,baseline_finish_date,forecast_finish_date,actual_finish_date,"
           "budget_at_completion,Extra")
    rows = [
        'P1,"Web, shop",Digital,Retail,Ann, Agile ,On Hold,50%,2025-01-01,31/12/2025,2026-01-31T00:00:00Z,,"£1,234.50",a',
        'P2,Payroll,Back office,Finance,,predictive,closed,,05.03.2024,2024-12-31 17:00,,2024-12-20,(300),b',
        '',
        ',,,,,,,,,,,,,',
        'P3,"Multi\r\nline ""name""",Digital,Retail,Bo,hybrid,execution,101,2025-02-30,12/31/2025,5 Mar 2026,,$ 2000,c',
        'P4,Tail,Digital,Retail,Bo,agile,Idea,7,20250101,2025/12/31,5-Mar-26,,1e3,d',
        '',
    ]
    _write(folder / "projects.csv", "\ufeff" + prj + "\r\n" + "\r\n".join(rows) + "\r\n")
    _write(folder / "financials.csv",
           "project_id;period;cost_category;planned_cost;actual_cost;forecast_cost\n"
           "P1;2025-01;capex;1.234,5;1,234;12\n"
           "P1;2025/02;Capex;3;1,000.5;\n"
           "P1;Mar 2025;opex;2.000;;7,5\n"
           "P2;03/2024;opex;10;-5;\n"
           "P2;202404;opex;1,2,3;x;\n"
           "P2;2024-04-30;opex;4;;\n")
    _write(folder / "milestones.csv",
           "milestone_id,project_id,milestone_name,is_gate,baseline_date,forecast_date,actual_date\n"
           "M1,P1,Beta,Yes,2025-05-01,,2025-05-03\nM2,P1,Go,n,2025-06-01,,\nM3,P1,X,TRUE,2025-07-01,,\n"
           "M4,P2,Y,maybe,2024-07-01,,2025-07-01\nM1,P2,Dup,0,2024-01-01,,\n")
    _write(folder / "status_reports.csv",
           "project_id,report_date,overall_rag,overall_rag,percent_complete,summary\r\n"
           'P1,2025-05-31,green,red,40,"line one\r\n\r\nline three"\r\n'
           "P1,2025-06-10,Amber,,35,\r\n"
           "P2,2024-12-31,purple,,110,done\r\n", "utf-16")
    _write(folder / "timesheets.tsv",
           "resource_id\tproject_id\twork_date\thours\n"
           "R1\tP1\t2025-06-02\t7,5\nR1\tP1\t2025-06-02\t6\nR1\tP1\t 2025-06-03 \t 8 \nR1\tP9\t2025-06-04\t\n")
    _write(folder / "resources.csv",
           "resource_id|resource_name|role|department|employment_type|weekly_capacity_hours|hourly_cost|start_date|end_date\n"
           "R1|Cy|Developer|  IT  |Contractor|40|80|2024-01-01|\n"
           "R2|Dee|Analyst|IT|employee|0|-1|01.01.2024|31.12.2023\n")
    _write(folder / "maturity_assessments.csv",
           "assessment_id,assessment_date,business_unit,domain,criterion_id,score,target_score,comment\n"
           "A1,2025-03-01,Retail,Governance,G1,3,4,\nA1,2025-03-01,Retail,governance,G2,6,0,bad\n"
           "A1,2025-03-01,Retail,governance,G1,3,,dup\n")
    _write(folder / "allocations.csv",
           "resource_id,project_id,period,planned_hours\nR1,P1,2025-06,80\nR1,P1,2025-07-31,10\n"
           "R1,P1,Aug 2025,5\nR1,P1,August 2025,-1\nR1,P1,13/2025,1\n")
    _write(folder / "benefit_measurements.csv", "benefit_id,period,planned_value,actual_value\nB9,2025-06,100,90\n")
    _write(folder / "notes.csv", "a,b\n1,2\n")


# --- the parse corpus --------------------------------------------------------------------------

NASTY = [
    "", " ", '"', "'", ",", ";", "\t", "a\nb", "=1+2", "+SUM(A1)", "-5", "@cmd", "1e308", "1e309", "-1e309",
    "NaN", "nan", "inf", "-inf", "Infinity", "-0", "99999999999999999999999999", "0x1F", "1_000", "(300)",
    "£1,234.50", "1.234,56", "1,2,3", "%", "50%", "2025-02-30", "0000-00-00", "9999-12-31", "31.12.99",
    "12/31/2024", "2024-03", "Mar-24", "yes", "NULL", "None", "n/a", "\ufeff", "\u202e", "é", "x" * 40,
    " 12 ", "\u00a012\u00a0", "1\u202f234", "12.", ".5", "+.5e-3", "1e", "e5", "--1", "+-1", "1.2.3",
    "1 234", "1'234.5", "CHF 1'234.50", "1.234.567,89", "1,234,567.89", "12,5 %", "(1.234,5)", "- 5",
    "$-5", "-$5", "5-", "1,5", "1,50", "1,500", "1,5000", "0,001", ",5", "1.", "1.0", "3.0", "3.5", "03",
    "2024-03-31", "2024-3-31", "2024-03-1", " 2024-03-31", "2024-03-31 ", "2024-03-31T17:00",
    "2024-03-31T17:00:00Z", "2024-03-31 9:05", "2024-03-31x", "31/03/2024", "31.03.2024", "31-03-2024",
    "31/03/24", "31.03.24", "31-03-24", "5 Mar 2024", "5 March 2024", "05 mar 2024", "5-Mar-2024", "5-Mar-24",
    "5 Mar 24", "2024/03/31", "20240331", "30.06.08", "30.06.0008", "31/02/2020", "29/02/2024", "29/02/2023",
    "1/2/2024", "01/02/24", "Mar 2024", "March 2024", "Mar-2024", "mar-2024", "202403", "2024/03", "03/2024",
    "3/2024", "03.2024", "2024-13", "2024-00", "2024-1", "True", "FALSE", "Y", "n", "t", "F", "1", "0", "2",
    "yes ", " No", "ja", "off", "on",
]


def _random_values(rng: random.Random, n: int) -> list[str]:
    """Cells made of what numbers, dates, months and flags are made of."""
    pieces = ["0", "1", "2", "3", "5", "7", "9", "12", "31", "2024", "24", "08", "1000", "234", ".", ",", " ",
              "'", "-", "+", "(", ")", "%", "£", "$", "€", "EUR", "GBP", "e", "E", "/", ":", "T", "Z", "Mar",
              "march", "Dec", "yes", "no", "\u00a0", "\t", "x", "_", "00"]
    out = []
    for _ in range(n):
        out.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))))
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    fmts = ["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y", "%d-%m-%y", "%d %b %Y", "%d %B %Y",
            "%d-%b-%Y", "%d-%b-%y", "%d %b %y", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d", "%m/%d/%Y", "%Y-%m",
            "%m/%Y", "%b %Y", "%B %Y", "%b-%y", "%Y%m", "%Y/%m", "%m.%Y"]
    for _ in range(n):
        d = dt.date(rng.randint(1, 2999), rng.randint(1, 12), rng.randint(1, 28))
        text = d.strftime(rng.choice(fmts)) if d.year >= 1000 else f"{d.day:02d}.{d.month:02d}.{d.year:02d}"
        if rng.random() < 0.2:
            text = text.replace("0", "", 1)
        if rng.random() < 0.1:
            text = text.lower() if rng.random() < 0.5 else text.upper()
        if rng.random() < 0.1:
            text = f"{rng.randint(1, 40)}/{rng.randint(1, 14)}/{rng.randint(0, 2100)}"
        if rng.random() < 0.05:
            text = f"{rng.randint(1, 31)} {rng.choice(months)} {rng.randint(0, 99):02d}"
        out.append(text)
    for _ in range(n):
        whole = str(rng.randint(0, 10 ** rng.randint(0, 9)))
        if rng.random() < 0.5:  # group by three
            sep = rng.choice([",", ".", " ", "'", "\u00a0"])
            groups = []
            while whole:
                groups.insert(0, whole[-3:])
                whole = whole[:-3]
            whole = sep.join(groups) if rng.random() < 0.9 else sep.join(g[:2] for g in groups)
        if rng.random() < 0.5:
            whole += rng.choice([".", ","]) + str(rng.randint(0, 9999)).zfill(rng.randint(1, 4))
        if rng.random() < 0.3:
            whole = rng.choice(["£", "$", "€ ", "EUR ", "USD", "CHF "]) + whole
        if rng.random() < 0.15:
            whole += rng.choice(["%", " %", "€", " EUR", "m"])
        if rng.random() < 0.2:
            whole = rng.choice(["-", "+", "(", " -"]) + whole + (")" if whole.startswith("(") else "")
        if rng.random() < 0.1:
            whole = f"({whole})"
        out.append(whole)
    return out


OPTION_SETS = {
    "default": {},
    "empty_tokens": {"empty": ("n/a", "TBC", "-", "yes")},
    "decimal_comma": {"decimal": ","},
    "decimal_point": {"decimal": ".", "thousands": ","},
    "comma_space": {"decimal": ",", "thousands": " "},
    "pound_only": {"currency": ("£",)},
    "no_currency": {"currency": ("",)},
    "dmy_short_first": {"date_formats": ("%d.%m.%y", "%d.%m.%Y")},
    "month_first": {"date_formats": ("%m/%d/%Y",)},
    "iso_declared": {"date_formats": ("%Y-%m-%d", "%d/%m/%Y")},
}
TYPES = ("num", "money", "int", "date", "month", "bool")


def write_parse_corpus() -> None:
    """Each value parsed alone, and the values in mixed columns of 40, by the current parsers."""
    import polars as pl

    from pmo_metrics.sources.parse import ValueOptions, parse

    rng = random.Random(20250615)
    values = list(dict.fromkeys(NASTY + _random_values(rng, 700)))
    records = []

    def shown(v) -> str | None:
        if v is None:
            return None
        return v.isoformat() if isinstance(v, dt.date) else repr(v)

    for opts_id, kw in OPTION_SETS.items():
        opts = ValueOptions(**kw)
        for type_ in TYPES:
            if type_ in ("date", "month") and "decimal" in kw or type_ not in ("date", "month") and "date_formats" in kw:
                continue
            for v in values:
                out, bad = parse(pl.Series("x", [v], dtype=pl.String), type_, opts)
                records.append((opts_id, type_, -1, v, shown(out[0]), bool(bad[0]) if bad is not None else False))
            shuffled = values[:]
            rng.shuffle(shuffled)
            for column in range(0, len(shuffled), 40):
                chunk = shuffled[column:column + 40]
                out, bad = parse(pl.Series("x", chunk, dtype=pl.String), type_, opts)
                for i, v in enumerate(chunk):
                    records.append((opts_id, type_, column // 40, v, shown(out[i]),
                                    bool(bad[i]) if bad is not None else False))
    frame = pl.DataFrame(records, schema={"options": pl.String, "type": pl.String, "column": pl.Int64,
                                          "value": pl.String, "parsed": pl.String, "bad": pl.Boolean},
                         orient="row")
    frame.write_parquet(HERE / "parse_corpus.parquet")
    (HERE / "parse_options.json").write_text(json.dumps(OPTION_SETS, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    print(f"parse corpus: {frame.height:,} readings of {len(values):,} values")


# --- expected outputs --------------------------------------------------------------------------

def write_expected() -> None:
    """Load every case into a fresh database and write its tables (Parquet) and its report."""
    import tempfile

    import duckdb

    from pmo_metrics import contract as c
    from pmo_metrics.warehouse import load_batch, validate_batch

    for case, mapping in CASES.items():
        folder = HERE / case
        mapping_path = folder / mapping if mapping else None
        out = HERE / "expected" / case
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        _, report = validate_batch(folder, mapping_path, None, LOAD_DATE)
        (out / "report.txt").write_text(report.render(None) + "\n", encoding="utf-8")
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "pmo.duckdb"
            result = load_batch(folder, db, mapping_path, quarantine=True, load_date=LOAD_DATE)
            assert result.status == "loaded", result.message
            con = duckdb.connect(str(db), read_only=True)
            for name in c.LOAD_ORDER:
                con.execute(f'COPY (SELECT * EXCLUDE (_load_id) FROM main."{name}" ORDER BY _file, _row) '
                            f"TO '{out / f'main.{name}.parquet'}' (FORMAT parquet)")
            for name in ("findings", "quarantine", "table_rows"):
                con.execute(f"COPY (SELECT * EXCLUDE (load_id) FROM meta.{name}) "
                            f"TO '{out / f'meta.{name}.parquet'}' (FORMAT parquet)")
            raws = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall()
            for (name,) in raws:
                con.execute(f'COPY (SELECT * EXCLUDE (_load_id) FROM raw."{name}" ORDER BY _file, _row) '
                            f"TO '{out / f'raw.{name}.parquet'}' (FORMAT parquet)")
            (out / "rows.json").write_text(json.dumps({"loaded": result.rows_loaded, "rejected": result.rows_rejected},
                                                      indent=2, sort_keys=True) + "\n", encoding="utf-8")
            con.close()
        print(f"{case}: {result.message}")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    what = sys.argv[1:] or ["inputs", "expected"]
    if "inputs" in what:
        write_synthetic()
        write_messy()
    if "expected" in what:
        write_expected()
        write_parse_corpus()
