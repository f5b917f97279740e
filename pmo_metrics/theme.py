"""The house colours and type: one set of tokens for the dashboard's projector themes, every chart,
the slides and the HTML pack.

`LIGHT` and `DARK` are the two themes a viewer picks between in the app; `.streamlit/config.toml`
spells the same values for Streamlit (a test keeps the two in step, since Streamlit reads only its
own file). Charts, slides and the HTML pack keep a white ground whichever theme the app shows, so
they use the light tokens: the RAG colours, one colour per series meaning, the categorical palette.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Palette:
    """One of the app's themes, named as `[theme.light]` / `[theme.dark]` name them (in snake case)."""

    primary_color: str
    background_color: str
    secondary_background_color: str
    text_color: str
    link_color: str
    border_color: str
    green_color: str
    orange_color: str
    red_color: str
    blue_color: str
    chart_categorical_colors: tuple[str, ...]


LIGHT = Palette(
    primary_color="#1F3A68", background_color="#FFFFFF", secondary_background_color="#EEF1F5",
    text_color="#1A1A1A", link_color="#1F3A68", border_color="#C9CED6", green_color="#1B7F3B",
    orange_color="#E8A200", red_color="#C62828", blue_color="#1F3A68",
    chart_categorical_colors=("#1F3A68", "#E8A200", "#1B7F3B", "#C62828", "#5B7DB1", "#7B4F9D", "#00838F",
                              "#8D6E63", "#AD1457", "#558B2F"),
)
# Near-black with off-white text and brighter status colours: readable when the room is dark.
DARK = Palette(
    primary_color="#8AB4F8", background_color="#0E1117", secondary_background_color="#1B2230",
    text_color="#F2F4F8", link_color="#8AB4F8", border_color="#3A4456", green_color="#4CC36E",
    orange_color="#FFB300", red_color="#FF6B6B", blue_color="#8AB4F8",
    chart_categorical_colors=("#8AB4F8", "#FFB300", "#4CC36E", "#FF6B6B", "#B39DDB", "#4DD0E1", "#F48FB1",
                              "#BCAAA4", "#AED581", "#FFF176"),
)

# -- tokens of the white-ground media: charts, slides, the HTML pack ------------------------------------

BRAND = LIGHT.primary_color          # titles, table headers, the main series
INK = LIGHT.text_color               # body text
MUTED = "#555B63"                    # secondary text: points, notes, footers
PANEL = LIGHT.secondary_background_color   # alternate rows of a slide table
STRIPE = "#F4F6F8"                   # alternate rows of an HTML table (lighter: a screen is brighter)
LINE = "#D5DAE1"                     # table rules
GRID = "#E3E6EA"                     # chart grid lines
AXIS = "#555"                        # chart axis lines, reference lines
ZERO_LINE = "#999"
WHITE = "#FFFFFF"
BLACK = "#000000"

RAG_COLOURS = {"green": LIGHT.green_color, "amber": LIGHT.orange_color, "red": LIGHT.red_color,
               "none": "#8A8F98"}
CATEGORICAL = LIGHT.chart_categorical_colors
SERIES = {  # one colour per meaning, used by every chart
    "planned": "#5B7DB1", "actual": BRAND, "forecast": "#9DB4D9", "earned": RAG_COLOURS["green"],
    "capacity": RAG_COLOURS["none"], "allocated": "#5B7DB1", "booked": BRAND, "target": RAG_COLOURS["red"],
    "benefit": RAG_COLOURS["green"], "score": BRAND, "neutral": "#5B7DB1",
}
# Colour scales of the heatmaps: allocation (pale → brand → over-allocated amber and red) and
# maturity scores (red at 1 → green at 5); the risk matrix's cells by score.
ALLOCATION_SCALE = ((0, "#F4F6F8"), (0.6, "#9DB4D9"), (0.83, BRAND), (0.84, LIGHT.orange_color),
                    (1, LIGHT.red_color))
MATURITY_SCALE = ((0, LIGHT.red_color), (0.25, "#F28C28"), (0.5, "#F2D04B"), (0.75, "#7CB66B"),
                  (1, LIGHT.green_color))
RISK_SCALE = ((0, "#DCEFE1"), (0.35, "#FFF1C7"), (0.6, "#FFD59A"), (1, "#F4A6A6"))
SLIP_LINE = "#B0B6BE"                # a milestone's baseline-to-actual line
BASELINE_LINE = "#888"

# System fonts only: plotly measures labels before a web font has loaded, and a web font that
# arrives later overflows the margins it measured (cut-off axis labels and legends).
FONT = "Segoe UI, Helvetica Neue, Helvetica, Arial, Liberation Sans, DejaVu Sans, sans-serif"
FONT_SIZE = 16


def rgba(colour: str, alpha: float) -> str:
    """'#1B7F3B', 0.12 → 'rgba(27,127,59,0.12)' (a fill under a line)."""
    c = colour.lstrip("#")
    r, g, b = (int(c[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:g})"


@dataclass(frozen=True)
class Projector:
    """The monthly review's presentation type on one of the themes: near-black (or near-white)
    text, headings in the brand colour."""

    strong: str       # the message, table cells
    body: str         # points
    caption: str      # captions and notes
    heading: str      # the section title, table headers' ground
    header_text: str  # text on the table headers


PROJECTOR = {
    "light": Projector(strong=BLACK, body="#111", caption="#333", heading=LIGHT.primary_color, header_text="#fff"),
    "dark": Projector(strong=DARK.text_color, body=DARK.text_color, caption="#C9CED6", heading=DARK.primary_color,
                      header_text=DARK.background_color),
}


def projector_css(theme: str = "light") -> str:
    """The monthly review's stylesheet for the app's theme ('light' or 'dark'): large, high-contrast
    type for a projector. Fixed text: no value from the data is ever written into it."""
    p = PROJECTOR.get(theme, PROJECTOR["light"])
    main = '[data-testid="stMainBlockContainer"]'
    return f"""
<style>
{main} {{ color: {p.strong}; }}
{main} h1 {{ font-size: 2.6rem; color: {p.heading}; padding-bottom: 0.2rem; }}
{main} h2 {{ font-size: 2.2rem; line-height: 1.25; color: {p.strong}; font-weight: 700; }}
{main} h3 {{ font-size: 1.5rem; color: {p.heading}; }}
{main} [data-testid="stMarkdownContainer"] p,
{main} [data-testid="stMarkdownContainer"] li {{ font-size: 1.35rem; color: {p.body}; }}
{main} [data-testid="stCaptionContainer"] p {{ font-size: 1.05rem; color: {p.caption}; }}
{main} [data-testid="stTable"] table {{ font-size: 1.1rem; color: {p.strong}; }}
{main} [data-testid="stTable"] th {{ background: {p.heading}; color: {p.header_text}; }}
{main} button [data-testid="stMarkdownContainer"] p {{ font-size: 1.1rem; color: inherit; }}
</style>
"""
