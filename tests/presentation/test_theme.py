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
def test_projector_css_uses_the_themes_colours(name):
    css = theme.projector_css(name)
    palette = theme.LIGHT if name == "light" else theme.DARK
    assert palette.primary_color in css
    assert "{" in css and "<style>" in css and "{{" not in css
