-- The early-warning signals per month judged × active project (signal_rules.sql), reading the
-- forecasts as the extracts state them now: the finish forecasts and the milestones of the projects
-- and milestones tables, for every month alike. What a warehouse without monthly snapshots can offer
-- (a database built by hand, or by a version that kept none): in a past month it knows today's
-- forecasts, not that month's, which flatters the signals that read them.

with

months as (
    {{ ref('kpis/months') }}
),

forecasts as (
    {{ ref('kpis/project_forecasts') }}
),

known_months as (
    select month, true as finish_known, true as gates_known
    from months
),

known_finishes as (
    select month, project_id, current_finish_date as known_finish_date
    from forecasts
),

known_milestones as (
    select m.month, g.project_id, g.milestone_id, g.milestone_name, g.is_gate, g.baseline_date, g.forecast_date,
           g.actual_date
    from months as m
    cross join milestones as g
    where list_contains($judged_months::varchar[], m.month)
),

{{ ref('views/forecasts/signal_rules') }}
