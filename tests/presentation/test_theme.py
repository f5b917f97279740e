"""One set of colour tokens (pmo_metrics.theme): Streamlit's own file says the same, and the charts,
the slides and the HTML pack take their colours from it."""
from __future__ import annotations

import re
import tomllib
from dataclasses import asdict
from pathlib import Path

import pytest

from pmo_metrics import charts, report, theme

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


@pytest.mark.parametrize("name, palette", [("light", theme.LIGHT), ("dark", theme.DARK)])
def test_streamlit_config_spells_the_theme_tokens(name, palette):
    section = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["theme"][name]
    expected = {camel(k): list(v) if isinstance(v, tuple) else v for k, v in asdict(palette).items()}
    assert section == expected


def test_charts_slides_and_pack_use_the_tokens():
    assert charts.RAG_COLOURS is theme.RAG_COLOURS
    assert theme.RAG_COLOURS["green"] == theme.LIGHT.green_color and theme.RAG_COLOURS["red"] == theme.LIGHT.red_color
    assert charts.template().layout.colorway == theme.CATEGORICAL
    assert report.HEADER_FILL == theme.BRAND
    assert theme.BRAND in report._CSS and theme.MUTED in report._CSS
    # no colour of its own in the charts module or the report: every one comes from the theme
    for module in (charts, report):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert re.findall(r"#[0-9A-Fa-f]{3,6}\b", source) == [], module.__name__


@pytest.mark.parametrize("name", ["light", "dark"])
def test_projector_css_never_sets_a_text_colour_on_the_page_ground(name):
    """Text keeps the theme's own colour, so the dark theme can never get black on near-black: the one
    text colour the stylesheet sets is the table header's, white on its own brand ground."""
    css = theme.projector_css(name)
    assert re.findall(r"(?<![-\w])color:\s*([^;}]+)", css) == [theme.WHITE]
    assert theme.contrast(theme.WHITE, theme.BRAND) >= theme.AA_CONTRAST
    assert "{" in css and "<style>" in css and "{{" not in css
    assert "font-size: clamp(" in css   # the type follows the window's height


def test_contrast_is_the_wcag_ratio_and_every_status_colour_pair_passes_aa():
    assert theme.contrast("#FFFFFF", "#000000") == pytest.approx(21)
    assert theme.contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    for state, (ground, ink) in theme.RAG_CELLS.items():
        assert theme.contrast(ground, ink) >= theme.AA_CONTRAST, state
    dark = theme.CHART_GROUNDS["dark"]
    assert theme.contrast(dark.paper, dark.ink) >= theme.AA_CONTRAST
