-- One row per benefit of the selected projects × month asked for, for the benefits measured by
-- then: latest planned, latest actual, progress and risk (CONTRACT §3), read from
-- marts.benefit_month_facts. Keyed by the breakdown asked for: a project dimension, or one of the
-- benefit's own ($benefit_dimensions: its type, category or owner).

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

source_benefits as (
    select benefit_id, benefit_type, category, owner, target_value from benefits
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
        case $group_by
            when 'benefit_type' then b.benefit_type
            when 'category' then b.category
            when 'owner' then b.owner
            else p.group_key
        end as group_key,
        l.benefit_id,
        l.project_id,
        l.is_financial,
        l.planned_period,
        l.planned_value,
        l.actual_period,
        l.actual_value,
        l.progress,
        l.is_at_risk,
        b.target_value
    from lookups as l
    join selected_projects as p using (project_id)
    join source_benefits as b using (benefit_id)
)

select * from final
