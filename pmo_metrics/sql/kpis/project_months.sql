-- One row per selected project × month asked for, for the projects that have started, reported or
-- booked cost by then: the facts every project KPI of CONTRACT §3 is a count or a sum of. They are
-- computed once per load in marts.project_month_facts, so the KPI cards, the series, the project
-- table, the breakdowns and the traceability rows all read the same per-project figures.

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

lookups as (
    -- within a project's span, its row for M; past the span, the span's last row (nothing about
    -- the project changes after it); before the span, no row: the project adds nothing to any KPI
    select m.month, m.month_start as as_of_month_start, m.month_end, f.*
    from months as m
    join marts.project_month_facts as f on f.month_start = m.month_start
    union all
    select m.month, m.month_start as as_of_month_start, m.month_end, f.*
    from months as m
    join marts.project_month_facts as f on f.is_last and f.month_start < m.month_start
),

final as (
    select
        l.month,
        l.month_end,
        p.group_key,
        l.project_id,
        l.is_active,
        l.report_date,
        l.overall_rag,
        date_diff('day', l.report_date, l.month_end) as days_since_report,
        l.is_stale,
        l.progress_date,
        l.percent_complete,
        l.bac,
        l.pv,
        l.ev,
        l.ac,
        l.has_actual_cost,
        l.project_spi,
        l.project_cpi,
        l.eac,
        l.finish_slip_days,
        l.is_finished,
        l.finished_on_time,
        -- year to date restarts each January: a row from an earlier year has nothing for M's year
        case when year(l.month_start) = year(l.as_of_month_start) then l.planned_cost_ytd else 0 end as budget_ytd,
        case when year(l.month_start) = year(l.as_of_month_start) then l.actual_cost_ytd else 0 end as actual_cost_ytd
    from lookups as l
    join selected_projects as p using (project_id)
)

select * from final
