-- The early-warning signals per month judged × active project (signal_rules.sql), reading the
-- forecasts as they were known at the end of each month: the finish forecasts from the projects
-- snapshot and the milestones from the milestones snapshot standing for it (meta.project_snapshots,
-- meta.milestone_snapshots: the latest taken in or before the month). A month before the first
-- snapshot knows neither: its optimism and gate flags stay off and it is not judged for them.

with

months as (
    {{ ref('kpis/months') }}
),

forecasts as (
    {{ ref('kpis/project_forecasts') }}
),

project_snapshot_months as (
    select distinct snapshot_month from meta.project_snapshots
),

milestone_snapshot_months as (
    select distinct snapshot_month from meta.milestone_snapshots
),

standing as (
    select
        m.month,
        (select max(p.snapshot_month) from project_snapshot_months as p where p.snapshot_month <= m.month)
            as project_month,
        (select max(s.snapshot_month) from milestone_snapshot_months as s where s.snapshot_month <= m.month)
            as milestone_month
    from months as m
    where list_contains($judged_months::varchar[], m.month)
),

known_months as (
    select
        m.month,
        coalesce(s.project_month is not null, false) as finish_known,
        coalesce(s.milestone_month is not null, false) as gates_known
    from months as m
    left join standing as s using (month)
),

known_finishes as (
    select s.month, p.project_id, coalesce(p.forecast_finish_date, p.baseline_finish_date) as known_finish_date
    from standing as s
    join meta.project_snapshots as p on p.snapshot_month = s.project_month
),

known_milestones as (
    select s.month, g.project_id, g.milestone_id, g.milestone_name, g.is_gate, g.baseline_date, g.forecast_date,
           g.actual_date
    from standing as s
    join meta.milestone_snapshots as g on g.snapshot_month = s.milestone_month
),

{{ ref('views/forecasts/signal_rules') }}
