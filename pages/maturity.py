"""PMO maturity: domain scores vs targets per business unit, the business unit × domain heatmap, the
change since the previous assessment and the largest gaps. Scoped by the business-unit filter only."""
import streamlit as st

from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts, kpis
from pmo_metrics.views import maturity

ctx = ui.header("PMO maturity", "Maturity is scoped by the business-unit filter; the other project filters do not apply.")
ui.require_data(ctx)
f = ctx.filters

frame = cached(kpis.compare_kpis)(f)
ui.kpi_cards(frame, ["maturity_score", "maturity_level"], per_row=2)

scores = cached(maturity.scores)(f)
if scores.empty:
    ui.empty(ui.no_rows_message(ctx, "maturity assessments", ("maturity",)))
    st.stop()

st.subheader("Domain scores vs targets")
units = sorted(scores["business_unit"].dropna().unique())
shown = st.multiselect("Business units on the radar", units, default=units[:5], key="radar_units",
                       help="Up to a handful keeps the radar readable.")
if shown:
    ui.chart(charts.maturity_radar(scores, shown))
else:
    ui.empty("Pick at least one business unit to draw the radar.")

st.subheader("Business unit × domain")
ui.chart(charts.maturity_heatmap(cached(maturity.heatmap)(f)))
ui.table(scores, f"Maturity scores {ctx.as_of}", key="mat_scores",
         columns={"business_unit": ui.text_col("Business unit"), "domain": ui.enum_col("Domain", "maturity_domain"),
                  "score": ui.score_col("Score"), "target": ui.score_col("Target"),
                  "gap": ui.score_col("Gap"), "assessment_id": ui.text_col("Assessment"),
                  "assessment_date": ui.date_col("Assessed")})

st.subheader("Change since the previous assessment")
changes = cached(maturity.changes)(f)
by_domain = cached(maturity.domain_changes)(f)
if by_domain.empty:
    ui.empty("Each selected business unit has been assessed only once up to "
             f"{ctx.as_of}; the change shows after a second assessment.")
else:
    ui.chart(charts.maturity_change(by_domain))
    ui.table(changes, f"Maturity changes {ctx.as_of}", key="mat_changes",
             columns={"business_unit": ui.text_col("Business unit"),
                      "domain": ui.enum_col("Domain", "maturity_domain"),
                      "previous_assessment": ui.text_col("Previous"), "previous_score": ui.score_col("Score then"),
                      "latest_assessment": ui.text_col("Latest"), "latest_score": ui.score_col("Score now"),
                      "change": ui.Column("Change", "signed")})

st.subheader("Largest gaps to target")
ui.table(cached(maturity.gaps)(f), f"Maturity gaps {ctx.as_of}", key="mat_gaps",
         empty_message="No targets were given in the latest assessments, so there are no gaps to show.",
         columns={"business_unit": ui.text_col("Business unit"), "domain": ui.enum_col("Domain", "maturity_domain"),
                  "score": ui.score_col("Score"), "target": ui.score_col("Target"),
                  "gap": ui.score_col("Gap (target − score)"), "assessment_date": ui.date_col("Assessed")})
