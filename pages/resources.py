"""Resources: capacity, allocation and booked hours by month, department and role; who is
over-allocated. Scoped by the department filter only (CONTRACT §3)."""
import streamlit as st

from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts, kpis, metrics
from pmo_metrics.views import resources

ctx = ui.header("Resources", "Resource figures are scoped by the department filter; the project filters do not apply.")
ui.require_data(ctx)
f = ctx.filters

frame = cached(kpis.compare_kpis)(f)
ui.kpi_cards(frame, ["utilization", "allocation_rate", "overallocated_resources", "contractor_hours_share"])
if ui.lacking(ctx, "resources"):
    # Nothing below can be drawn from a data set without people: say it once, not under every heading.
    ui.empty(ui.no_rows_message(ctx, "capacity, allocation or hours to show", ("resources",)))
    st.stop()

st.subheader("Capacity, allocation and hours by month")
monthly = cached(resources.by_month)(f)
if monthly.empty or monthly["capacity_hours"].eq(0).all():
    ui.empty(ui.no_rows_message(ctx, "resources with capacity"))
else:
    ui.chart(charts.capacity_by_month(monthly, ctx.as_of))
    ui.table(monthly, f"Capacity by month {ctx.as_of}", key="res_month",
             columns={"month": ui.text_col("Month"), "capacity_hours": ui.hours_col("Capacity (h)"),
                      "planned_hours": ui.hours_col("Allocated (h)"), "hours": ui.hours_col("Booked (h)"),
                      "utilization": ui.pct_col("Utilisation"), "allocation_rate": ui.pct_col("Allocation rate")})

st.subheader(f"By group, {ctx.as_of}")
labels = {"department": "department", "role": "role", "employment_type": "employment type"}
by = st.segmented_control("Break down by", list(labels), format_func=lambda k: labels[k].capitalize(),
                          default="department", key="resources_by", required=True) or "department"
coded = "employment_type" if by == "employment_type" else None
grouped = cached(resources.by_group)(f, by)
if grouped.empty:
    ui.empty(ui.no_rows_message(ctx, "resources with capacity"))
else:
    target = metrics.get("utilization").thresholds
    ui.chart(charts.utilisation_by_group(grouped, labels[by], target.green if target else None, enumeration=coded))
    ui.table(grouped, f"Resources by {labels[by]} {ctx.as_of}", key="res_group",
             columns={"key": ui.enum_col(labels[by].capitalize(), coded) if coded else ui.text_col(labels[by].capitalize()),
                      "people": ui.count_col("People"), "capacity_hours": ui.hours_col("Capacity (h)"),
                      "planned_hours": ui.hours_col("Allocated (h)"), "hours": ui.hours_col("Booked (h)"),
                      "utilization": ui.pct_col("Utilisation"), "allocation_rate": ui.pct_col("Allocation rate"),
                      "overallocated": ui.count_col("Over-allocated")})
    heat = cached(resources.heatmap)(f, by)
    if not heat.empty and heat["value"].notna().any():
        ui.chart(charts.allocation_heatmap(heat, labels[by], enumeration=coded))

st.subheader("Over-allocated people")
# People are not in a business unit, but the projects they work on are: a scoped viewer reads only
# their own units' project names.
over = cached(resources.overallocated_people)(f, f.business_units if ctx.scope.restricted else ())
ui.table(over, f"Over-allocated people {ctx.as_of}", key="overallocated",
         empty_message=ui.nothing_message(ctx, "allocations", ("allocations",),
                                          f"Nobody in the selected departments is planned above their capacity in {ctx.as_of}."),
         columns={"resource_name": ui.text_col("Name"), "role": ui.text_col("Role"),
                  "department": ui.text_col("Department"), "employment_type": ui.enum_col("Type", "employment_type"),
                  "capacity_hours": ui.hours_col("Capacity (h)", 1), "planned_hours": ui.hours_col("Allocated (h)", 1),
                  "over_by_hours": ui.hours_col("Over by (h)", 1), "hours": ui.hours_col("Booked (h)", 1),
                  "projects": ui.text_col("Allocated to", width="large")})
