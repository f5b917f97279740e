"""The PowerPoint pack as it is shown: every slide rendered by LibreOffice (PPTX → PDF → PNG), and
every text box, title and table cell checked against its own shape — by the geometry python-pptx
reads back and the text measured in Carlito (Calibri's metrics), and by where LibreOffice actually
drew each word.

Two decks: the review demo (hostile and long names, thirteen projects needing a decision) and a
sparse export like the UK Major Projects one (projects, status reports and planned costs only; no
progress, actuals, people or benefits; very long programme names), where every figure the data
cannot support must say so instead of reading 0.

LibreOffice (`apt-get install libreoffice-impress`), Carlito (`fonts-crosextra-carlito`) and
poppler (`poppler-utils`) are installed by .ci/run; the rendered slides land in
tests/artifacts/slides/.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image, ImageFont
from pptx import Presentation

from pmo_metrics.appstate import AppState
from pmo_metrics.report import write_report

from test_review import M, P, build_demo_warehouse

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "slides"
CARLITO = Path("/usr/share/fonts/truetype/crosextra")
PT_PER_EMU = 1 / 12700
LONG_NAME = ("Strategic Defence Infrastructure Modernisation and Estate Rationalisation Programme for the Joint "
             "Forces Command, Phase Two")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: the slide tests need LibreOffice, Carlito and poppler "
                    "(.ci/run installs libreoffice-impress fonts-crosextra-carlito poppler-utils)", pytrace=False)
    return path


@pytest.fixture(scope="module")
def sparse_db(tmp_path_factory) -> Path:
    """Projects, status reports without percent complete and financials without actual costs."""
    from pmo_metrics.demo import generate_demo
    from pmo_metrics.warehouse import load_batch

    base = tmp_path_factory.mktemp("sparse")
    generate_demo(base / "demo", scale="small", seed=7, end_month=M)
    batch = base / "batch"
    batch.mkdir()
    projects = pd.read_csv(base / "demo" / "projects.csv", dtype=str, keep_default_na=False)
    projects.loc[projects.index[:6], "project_name"] = [f"{LONG_NAME} {i}" for i in range(6)]
    projects["strategic_objective_id"] = ""
    projects.to_csv(batch / "projects.csv", index=False)
    reports = pd.read_csv(base / "demo" / "status_reports.csv", dtype=str, keep_default_na=False)
    reports.assign(percent_complete="").to_csv(batch / "status_reports.csv", index=False)
    financials = pd.read_csv(base / "demo" / "financials.csv", dtype=str, keep_default_na=False)
    financials.assign(actual_cost="").to_csv(batch / "financials.csv", index=False)
    result = load_batch(batch, base / "pmo.duckdb", load_date=dt.date(2025, 7, 3))
    assert result.status == "loaded", result.message
    return base / "pmo.duckdb"


@pytest.fixture(scope="module")
def decks(tmp_path_factory, sparse_db) -> dict[str, Path]:
    review_db = build_demo_warehouse(tmp_path_factory.getbasetemp() / "review-demo")
    out = tmp_path_factory.mktemp("decks")
    # The demo deck carries notes on its figures, as a PMO lead writes them: more than a slide's
    # foot shows, one far longer than a line, and a decision from last month's review.
    store = AppState.open(f"sqlite:///{out / 'notes.sqlite'}")
    long = "Supplier invoices for May arrive late; the finance team expects them by the tenth. " * 4
    for metric, text in (("cpi", long), ("spi", "Two sprints were re-planned."), ("eac", "Includes the change request."),
                         ("vac", "See the finance page.")):
        store.add_note("kpi", metric, text, "Ann Example", month=M)
    store.add_note("month", M, "Board asked for a recovery plan for the red projects.", "Bo Example")
    store.add_note("kpi", "cpi", "Approve the re-baseline of the payroll project.", "Cy Example", kind="decision",
                   month=P)
    from test_figure_notes import _scenario

    from pmo_metrics.saved_scenarios import save
    save(store, _scenario("Fund the regulatory pipeline first, then the customer projects", 2.5e6, ["C1", "C2"],
                          95.0, 60.0))
    return {"demo": write_report(review_db, M, out / "demo.pptx", currency="£", store=store),
            "sparse": write_report(sparse_db, M, out / "sparse.pptx")}


@pytest.fixture(scope="module")
def rendered(decks) -> dict[str, Path]:
    """Each deck converted by LibreOffice to PDF, and each page of it to a PNG."""
    soffice, pdftoppm = _tool("soffice"), _tool("pdftoppm")
    pdfs = {}
    for name, pptx in decks.items():
        folder = pptx.parent
        subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(pptx)],
                       check=True, capture_output=True, timeout=240,
                       env={"HOME": str(folder), "PATH": "/usr/bin:/bin"})
        pdf = pptx.with_suffix(".pdf")
        assert pdf.is_file(), f"LibreOffice wrote no PDF for {pptx.name}"
        target = ARTIFACTS / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        subprocess.run([pdftoppm, "-r", "100", "-png", str(pdf), str(target / "slide")], check=True, timeout=240)
        pdfs[name] = pdf
    return pdfs


# -- measuring, independently of the product's layout code ------------------------------------------

def _font(bold: bool, size: float) -> ImageFont.FreeTypeFont:
    path = CARLITO / ("Carlito-Bold.ttf" if bold else "Carlito-Regular.ttf")
    if not path.is_file():
        pytest.fail("Carlito is not installed (fonts-crosextra-carlito)", pytrace=False)
    return ImageFont.truetype(str(path), size=round(size * 10))


def _lines(text: str, width_pt: float, size: float, bold: bool) -> int:
    """How many lines `text` takes in a box `width_pt` wide: greedy word wrap, a word too long for a
    line broken across lines."""
    font = _font(bold, size)
    width = lambda s: font.getlength(s) / 10  # noqa: E731 — points at `size`
    total = 0
    for paragraph in text.split("\n"):
        lines, line = 1, ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}".strip()
            if width(candidate) <= width_pt:
                line = candidate
                continue
            if line:
                lines += 1
            line = word
            while width(line) > width_pt:
                lines += 1
                cut = max(1, int(len(line) * width_pt / width(line)))
                line = line[cut:]
        total += lines
    return total


def _needed_height(frame, width_pt: float) -> float:
    """Points a text frame's paragraphs need at single spacing (Calibri's line is 1.22 × its size)."""
    need = 0.0
    for p in frame.paragraphs:
        runs = [r for r in p.runs if r.text]
        if not runs:
            continue
        size = runs[0].font.size.pt
        bold = bool(runs[0].font.bold)
        need += _lines("".join(r.text for r in runs), width_pt, size, bold) * size * 1.2
        need += p.space_after.pt if p.space_after is not None else 0
    return need


def _insets(frame) -> tuple[float, float]:
    return ((frame.margin_left + frame.margin_right) * PT_PER_EMU, (frame.margin_top + frame.margin_bottom) * PT_PER_EMU)


def _rect(shape) -> tuple[float, float, float, float]:
    x, y = shape.left * PT_PER_EMU, shape.top * PT_PER_EMU
    return x, y, x + shape.width * PT_PER_EMU, y + shape.height * PT_PER_EMU


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


# -- the geometry ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["demo", "sparse"])
def test_no_text_overflows_its_shape_by_measure(decks, name):
    prs = Presentation(str(decks[name]))
    problems = []
    for number, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            if shape.has_text_frame and shape.text_frame.text.strip():
                dx, dy = _insets(shape.text_frame)
                need = _needed_height(shape.text_frame, shape.width * PT_PER_EMU - dx)
                have = shape.height * PT_PER_EMU - dy
                if need > have * 1.02 + 1:
                    problems.append(f"slide {number} {shape.name}: needs {need:.0f} pt, has {have:.0f} pt: "
                                    f"{shape.text_frame.text[:60]!r}")
            if shape.has_table:
                table = shape.table
                for i, row in enumerate(table.rows):
                    for j, column in enumerate(table.columns):
                        cell = table.cell(i, j)
                        if not cell.text:
                            continue
                        dx = (cell.margin_left + cell.margin_right) * PT_PER_EMU
                        dy = (cell.margin_top + cell.margin_bottom) * PT_PER_EMU
                        need = _needed_height(cell.text_frame, column.width * PT_PER_EMU - dx)
                        if need > row.height * PT_PER_EMU - dy + 1:
                            problems.append(f"slide {number} table row {i} col {j}: needs {need:.0f} pt, has "
                                            f"{row.height * PT_PER_EMU - dy:.0f} pt: {cell.text[:40]!r}")
    assert problems == []


@pytest.mark.parametrize("name", ["demo", "sparse"])
def test_shapes_stay_on_the_slide_and_apart(decks, name):
    prs = Presentation(str(decks[name]))
    slide_rect = (0, 0, prs.slide_width * PT_PER_EMU, prs.slide_height * PT_PER_EMU)
    for number, slide in enumerate(prs.slides, start=1):
        rects = [(s.name, _rect(s)) for s in slide.shapes if s.has_chart or s.has_table
                 or (s.has_text_frame and s.text_frame.text.strip())]
        for shape_name, r in rects:
            assert r[0] >= 0 and r[1] >= 0 and r[2] <= slide_rect[2] + 0.5 and r[3] <= slide_rect[3] + 0.5, \
                (number, shape_name, r)
        for i, (a_name, a) in enumerate(rects):
            for b_name, b in rects[i + 1:]:
                assert _overlap(a, b) < 1.0, f"slide {number}: {a_name} overlaps {b_name}"


def test_every_slide_has_its_number_and_caveats_are_in_the_notes(decks):
    prs = Presentation(str(decks["sparse"]))
    for number, slide in enumerate(prs.slides, start=1):
        fields = slide.shapes._spTree.xpath('.//a:fld[@type="slidenum"]')
        assert len(fields) == 1 and fields[0].xpath("string(a:t)") == str(number), number
    texts = {n: " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
             for n, slide in enumerate(prs.slides, start=1)}
    notes = " ".join(s.notes_slide.notes_text_frame.text for s in prs.slides if s.has_notes_slide)
    assert "percent complete" in notes
    # a caveat is never on the slide itself, and no rule id reaches a slide before the appendix
    appendix = min(n for n, t in texts.items() if t.startswith("Appendix"))
    for n, text in texts.items():
        assert "Only one projects extract stands" not in text, n
        if n < appendix:
            assert not re.search(r"\b(STS|PRJ|FIN|REF|TS|MS|BEN)-[A-Z-]+\b", text), (n, text[:200])


def test_the_sparse_deck_says_what_is_missing_never_zero(decks):
    prs = Presentation(str(decks["sparse"]))
    text = " ".join(s.text_frame.text for slide in prs.slides for s in slide.shapes if s.has_text_frame)
    assert "no actual costs are loaded" in text.lower()
    assert "Spent 0" not in text and "SPI 0.00" not in text
    assert "the loaded data has no resources (HR data)" in text
    for shapes in (slide.shapes for slide in prs.slides):
        for shape in shapes:
            if shape.has_table:
                values = [c.text for row in shape.table.rows for c in row.cells]
                assert "None" not in values and "nan" not in values


# -- the rendering -----------------------------------------------------------------------------------

def _words(pdf: Path) -> dict[int, list[tuple[float, float, float, float, str]]]:
    out = subprocess.run([_tool("pdftotext"), "-bbox", str(pdf), "-"], check=True, capture_output=True,
                         text=True, timeout=120).stdout
    pages: dict[int, list] = {}
    page = 0
    for line in out.splitlines():
        if "<page " in line:
            page += 1
            pages[page] = []
        found = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if found:
            pages[page].append((*map(float, found.groups()[:4]), found.group(5)))
    return pages


@pytest.mark.parametrize("name", ["demo", "sparse"])
def test_libreoffice_draws_every_word_inside_its_shape_and_none_over_another(decks, rendered, name):
    prs = Presentation(str(decks[name]))
    pages = _words(rendered[name])
    assert len(pages) == len(prs.slides)
    assert len(list((ARTIFACTS / name).glob("slide-*.png"))) == len(prs.slides)
    with Image.open(sorted((ARTIFACTS / name).glob("slide-*.png"))[0]) as first:
        assert abs(first.width / first.height - 16 / 9) < 0.01
    problems = []
    for number, slide in enumerate(prs.slides, start=1):
        boxes = [_rect(s) for s in slide.shapes if s.has_chart or s.has_table or s.has_text_frame]
        words = pages[number]
        for x0, y0, x1, y1, word in words:
            inside = any(x0 >= b[0] - 2 and x1 <= b[2] + 2 and y0 >= b[1] - 2 and y1 <= b[3] + 2 for b in boxes)
            if not inside:
                problems.append(f"slide {number}: {word!r} drawn outside every shape at ({x0:.0f}, {y0:.0f})")
        for i, a in enumerate(words):
            for b in words[i + 1:]:
                shared = _overlap(a[:4], b[:4])
                smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
                if smaller > 0 and shared > 0.25 * smaller:
                    problems.append(f"slide {number}: {a[4]!r} drawn over {b[4]!r}")
    assert problems == []


def test_the_slides_render_as_16_9_pictures(rendered):
    for name in rendered:
        pngs = sorted((ARTIFACTS / name).glob("slide-*.png"))
        assert pngs
        for png in pngs:
            with Image.open(png) as image:
                assert image.size[0] > 900 and abs(image.size[0] / image.size[1] - 16 / 9) < 0.01, png.name
