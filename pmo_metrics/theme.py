"""The house colours and type: one set of tokens for the dashboard's projector themes, every chart,
the slides and the HTML pack.

`LIGHT` and `DARK` are the two themes a viewer picks between in the app; `.streamlit/config.toml`
spells the same values for Streamlit (a test keeps the two in step, since Streamlit reads only its
own file). Slides and the HTML pack have a white ground, and every chart is built on it with the
light tokens (the RAG colours, one colour per series meaning, the categorical palette); on the dark
theme a chart is drawn again with each light token swapped for its dark counterpart
(`DARK_COLOURS`) on the dark ground (`CHART_GROUNDS`), so no chart is a white box in a dark room.
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
    # No green, amber or red among the categories: a business unit must never read as a RAG status.
    chart_categorical_colors=("#1F3A68", "#00838F", "#7B4F9D", "#8D6E63", "#5B7DB1", "#546E7A", "#8E3B74",
                              "#3949AB", "#006064", "#6D4C41"),
)
# Near-black with off-white text and brighter status colours: readable when the room is dark.
DARK = Palette(
    # The primary colour grounds white text (buttons, the filters' tags): dark enough for 4.5:1.
    primary_color="#3B6FD4", background_color="#0E1117", secondary_background_color="#1B2230",
    text_color="#F2F4F8", link_color="#8AB4F8", border_color="#3A4456", green_color="#4CC36E",
    orange_color="#FFB300", red_color="#FF6B6B", blue_color="#8AB4F8",
    chart_categorical_colors=("#8AB4F8", "#4DD0E1", "#B39DDB", "#BCAAA4", "#A5C0EC", "#90A4AE", "#E091C8",
                              "#9FA8DA", "#4FB3BF", "#D7B8A8"),
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
    "capacity": RAG_COLOURS["none"], "allocated": "#5B7DB1", "booked": BRAND, "target": "#3D4450",
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

# A status shown as a coloured cell or chip: (ground, ink), the same on either theme, each pair
# readable at WCAG AA (contrast ≥ 4.5:1; a test checks).
RAG_CELLS = {"green": ("#1B7F3B", WHITE), "amber": ("#E8A200", "#1A1A1A"), "red": ("#C62828", WHITE),
             "none": ("#8A8F98", BLACK)}
AA_CONTRAST = 4.5   # WCAG 2 level AA for body text


@dataclass(frozen=True)
class ChartGround:
    """What a chart is drawn on, in one of the app's themes."""

    paper: str
    ink: str      # titles, tick labels, legends
    grid: str
    axis: str
    zero: str


CHART_GROUNDS = {
    "light": ChartGround(paper=WHITE, ink=INK, grid=GRID, axis=AXIS, zero=ZERO_LINE),
    "dark": ChartGround(paper=DARK.background_color, ink=DARK.text_color, grid="#2A3342", axis="#9AA3B2",
                        zero="#6B7587"),
}
# Every colour the chart factories use on the white ground → the one that reads the same on the
# dark ground (the brand navy would vanish into near-black; the status colours brighten).
DARK_COLOURS = {
    **dict(zip(LIGHT.chart_categorical_colors, DARK.chart_categorical_colors)),
    RAG_COLOURS["green"]: DARK.green_color, RAG_COLOURS["amber"]: DARK.orange_color,
    RAG_COLOURS["red"]: DARK.red_color, "#9DB4D9": "#C3D3EE", "#3D4450": "#D0D5DD", "#5B7DB1": "#A9B4C8",
    WHITE: DARK.background_color, INK: DARK.text_color, AXIS: CHART_GROUNDS["dark"].axis, GRID: "#2A3342",
    MUTED: "#C9CED6", "#F4F6F8": "#2A3342", "#F28C28": "#FF9F50", "#F2D04B": "#F5DA6A", "#7CB66B": "#8FD17E",
    "#DCEFE1": "#1E3A27", "#FFF1C7": "#3D3519", "#FFD59A": "#4A3515", "#F4A6A6": "#4D2020",
}


def _channels(colour: str) -> tuple[float, float, float]:
    c = colour.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return tuple(int(c[i:i + 2], 16) / 255 for i in (0, 2, 4))


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of '#RRGGBB'."""
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in _channels(colour)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours, 1 to 21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# System fonts only: plotly measures labels before a web font has loaded, and a web font that
# arrives later overflows the margins it measured (cut-off axis labels and legends).
FONT = "Segoe UI, Helvetica Neue, Helvetica, Arial, Liberation Sans, DejaVu Sans, sans-serif"
FONT_SIZE = 16


def rgba(colour: str, alpha: float) -> str:
    """'#1B7F3B', 0.12 → 'rgba(27,127,59,0.12)' (a fill under a line)."""
    r, g, b = (round(v * 255) for v in _channels(colour))
    return f"rgba({r},{g},{b},{alpha:g})"


# The dashboard's own few rules beside Streamlit's theme, on either theme: text keeps the theme's
# colour (inherit), so nothing here can put dark text on the dark ground.
PAGE_CSS = """
<style>
[data-testid="stMarkdownContainer"] p.pmo-headline { font-size: 1.5rem; line-height: 1.35; font-weight: 600;
    margin: 0.1rem 0 0.6rem; }
/* Captions in the theme's own text colour, a little quieter: Streamlit's grey falls below 4.5:1 on
   the sidebar's ground. */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: inherit !important; }
[data-testid="stCaptionContainer"] { opacity: 0.8; }
/* The chosen option of a segmented control and the chosen tab in the theme's text colour (the primary
   colour still marks them): primary-coloured text has too little contrast on the dark ground, and
   a button's shortcut hint is as legible as its label. */
[data-testid="stButtonGroup"] button[aria-checked="true"], [data-testid="stButtonGroup"] button[aria-checked="true"] p,
[role="tab"][aria-selected="true"], [role="tab"][aria-selected="true"] p { color: inherit !important; }
button kbd { color: inherit !important; opacity: 1 !important; }
/* A slider's value above its thumb in the theme's text colour, for the same reason. */
[data-testid="stSliderThumbValue"], [data-testid="stSliderThumbValue"] p { color: inherit !important; }
/* A KPI card's label wraps rather than end in "…": four cards to a row on a 1280×720 projector
   leave about 200 px, less than "Schedule performance index (SPI)". */
[data-testid="stMetricLabel"] * { white-space: normal !important; overflow: visible !important;
    text-overflow: clip !important; }
[data-testid="stMetricLabel"] { height: auto !important; }
.pmo-chip { display: inline-block; border-radius: 0.35rem; padding: 0.05rem 0.5rem; font-weight: 600;
    font-size: 0.85rem; }
</style>
"""


def projector_css(theme: str = "light") -> str:
    """The monthly review's stylesheet: one screen per message at any 16:9 window from 1280×720 up.

    The root type size follows the window's height (1 rem = 1/50 of it, so 720 px gives 14.4 px and
    1080 px gives 21.6 px) and everything Streamlit sizes in rem scales with it: the same screen fits
    at both sizes and is as legible from the back of the room. Text colours are never set here —
    text keeps the theme's own colour, so the dark theme cannot get dark text (`theme` chooses only
    the quiet tint of the table stripes). Fixed text: no value from the data is ever written into it.
    """
    stripe = rgba(LIGHT.text_color if theme != "dark" else DARK.text_color, 0.06)
    main = '[data-testid="stMain"]'
    return f"""
<style>
html {{ font-size: clamp(12px, 2vh, 26px) !important; }}
{main} [data-testid="stMainBlockContainer"] {{ padding: 3.4rem 2.2rem 0.6rem; max-width: none; }}
{main} [data-testid="stVerticalBlock"] {{ gap: 0.55rem; }}
{main} h1 {{ font-size: 2.2rem; line-height: 1.15; padding: 0.2rem 0 0.3rem; }}
{main} h2 {{ font-size: 1.6rem; line-height: 1.25; font-weight: 700; padding: 0 0 0.35rem; }}
{main} [data-testid="stMarkdownContainer"] li,
{main} [data-testid="stMarkdownContainer"] p {{ font-size: 1.15rem; line-height: 1.4; }}
{main} [data-testid="stMarkdownContainer"] ul {{ padding-left: 1.3rem; margin: 0; }}
{main} [data-testid="stMarkdownContainer"] li {{ margin: 0; padding-left: 0.2rem; }}
{main} [data-testid="stCaptionContainer"] p {{ font-size: 0.85rem; }}
{main} .st-key-review_nav {{ gap: 0.6rem; }}
{main} .st-key-review_chart {{ flex: 0 0 auto !important; height: 24rem !important; overflow: hidden; }}
{main} .st-key-review_chart [data-testid="stElementContainer"]:has([data-testid="stPlotlyChart"]) {{
    flex: 1 1 0 !important; min-height: 0; height: auto !important; }}
{main} .st-key-review_chart [data-testid="stPlotlyChart"],
{main} .st-key-review_chart [data-testid="stFullScreenFrame"],
{main} .st-key-review_chart .js-plotly-plot {{ height: 100% !important; }}
{main} .pmo-table h3 {{ font-size: 1.15rem; font-weight: 600; padding: 0 0 0.3rem; }}
{main} .pmo-table .count, {main} .pmo-table .more {{ font-weight: 400; font-size: 0.9rem; opacity: 0.85; }}
{main} .pmo-table table {{ width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 0.95rem; }}
{main} .pmo-table th {{ background: {BRAND}; color: {WHITE}; text-align: left; font-weight: 600;
                       padding: 0.3rem 0.45rem; }}
{main} .pmo-table td {{ padding: 0.28rem 0.45rem; white-space: nowrap; border-bottom: 1px solid {rgba(AXIS, 0.35)}; }}
{main} .pmo-table td.txt, {main} .pmo-table th {{ overflow: hidden; text-overflow: ellipsis; }}
{main} .pmo-table th {{ white-space: nowrap; }}
{main} [data-testid="stHorizontalBlock"] {{ margin-top: 0.4rem; }}
{main} .pmo-table tbody tr:nth-child(even) td {{ background: {stripe}; }}
{main} .pmo-table .num {{ text-align: right; }}
{main} .pmo-table .rag {{ border-radius: 0.25rem; padding: 0.05rem 0.4rem; font-weight: 600; }}
{main} .pmo-table .more {{ margin: 0.3rem 0 0; }}
</style>
"""
