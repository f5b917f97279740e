-- One row per selected project × month asked for (the rows of kpis/project_months): its earned
-- schedule and its reference-class forecasts as of that month (CONTRACT §6). ESₚ comes from
-- marts.project_earned_schedule (empty without EVₚ or without financials rows), ATₚ = months from
-- the start month to M inclusive; the class from marts.reference_classes (empty when too few).
-- Finish and cost forecasts compare with the projects extract's current dates, as the finish-slip
-- KPI does.

with

months as (
    {{ ref('kpis/months') }}
),

project_months as (
    {{ ref('kpis/project_months') }}
),

project_dim as (
    select project_id, project_name, program, delivery_approach, start_date, baseline_finish_date,
           forecast_finish_date, budget_at_completion
    from marts.projects
),

schedule as (
    -- within the span the project's row for M; past it, the span's last row (EV no longer changes)
    select m.month, s.earned_schedule, s.planned_months, s.project_id
    from months as m
    join marts.project_earned_schedule as s on s.month_start = m.month_start
    union all
    select m.month, s.earned_schedule, s.planned_months, s.project_id
    from months as m
    join marts.project_earned_schedule as s on s.is_last and s.month_start < m.month_start
),

classes as (
    select m.month, c.*
    from months as m
    join marts.reference_classes as c on c.month_start = m.month_start
    union all
    select m.month, c.*
    from months as m
    join marts.reference_classes as c on c.is_last and c.month_start < m.month_start
),

joined as (
    select
        f.month,
        f.group_key,
        f.project_id,
        d.project_name,
        d.program,
        d.delivery_approach,
        f.is_active,
        d.start_date,
        d.baseline_finish_date,
        d.forecast_finish_date,
        coalesce(d.forecast_finish_date, d.baseline_finish_date) as current_finish_date,
        f.bac,
        f.ev,
        f.overall_rag,
        f.is_stale,
        f.days_since_report,
        f.project_spi,
        f.project_cpi,
        s.earned_schedule,
        case when s.earned_schedule is not null
             then date_diff('month', date_trunc('month', d.start_date), m.month_start) + 1 end as actual_time,
        s.planned_months,
        c.class_kind,
        c.class_size,
        c.cost_class_size,
        c.schedule_ratio_p50,
        c.schedule_ratio_p80,
        c.cost_ratio_p80,
        date_diff('day', d.start_date, d.baseline_finish_date) as baseline_days
    from project_months as f
    join months as m on m.month = f.month
    join project_dim as d using (project_id)
    left join schedule as s on s.month = f.month and s.project_id = f.project_id
    left join classes as c on c.month = f.month and c.delivery_approach = d.delivery_approach
),

final as (
    select
        *,
        earned_schedule / nullif(actual_time, 0) as project_spi_t,
        -- the earned-schedule forecast of the duration, N / SPI(t): empty when SPI(t) = 0
        planned_months / nullif(earned_schedule / nullif(actual_time, 0), 0) as es_duration_months,
        -- DuckDB's round() of a double rounds half away from zero, as the contract says
        start_date + round(schedule_ratio_p50 * baseline_days)::integer as rcf_finish_p50,
        start_date + round(schedule_ratio_p80 * baseline_days)::integer as rcf_finish_p80,
        cost_ratio_p80 * bac as rcf_cost_p80,
        date_diff('day', coalesce(forecast_finish_date, baseline_finish_date),
                  start_date + round(schedule_ratio_p50 * baseline_days)::integer) as optimism_days
    from joined
)

select * from final
order by month, project_id
