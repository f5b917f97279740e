-- One row per benefit of the selected projects × month asked for, for the benefits measured by
-- then: latest planned, latest actual, progress and risk (CONTRACT §3), read from
-- marts.benefit_month_facts.

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

lookups as (
    -- within the measured months, the row for M; after the last measurement, the last row
    -- (nothing changes after it); before the first, no row: nothing planned or realised yet
    select m.month, f.*
    from months as m
    join marts.benefit_month_facts as f on f.month_start = m.month_start
    union all
    select m.month, f.*
    from months as m
    join marts.benefit_month_facts as f on f.is_last and f.month_start < m.month_start
),

final as (
    select
        l.month,
        p.group_key,
        l.benefit_id,
        l.project_id,
        l.is_financial,
        l.planned_period,
        l.planned_value,
        l.actual_period,
        l.actual_value,
        l.progress,
        l.is_at_risk
    from lookups as l
    join selected_projects as p using (project_id)
)

select * from final
