-- One row per benefit of the selected projects × month asked for, with the latest measurement
-- ≤ M (planned) and the latest one ≤ M that has an actual (realised), as CONTRACT §3 reads them.

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

source_benefits as (
    select * from benefits
),

measurements as (
    select benefit_id, period, period_start, planned_value from marts.benefit_measurements
),

actuals as (
    select benefit_id, period, period_start, actual_value
    from marts.benefit_measurements
    where actual_value is not null
),

benefit_months as (
    select
        b.benefit_id,
        b.benefit_name,
        b.category,
        b.benefit_type,
        b.owner,
        b.unit,
        b.baseline_value,
        b.target_value,
        b.planned_start,
        b.planned_end,
        p.project_id,
        p.project_name,
        p.portfolio,
        p.program,
        p.business_unit,
        p.objective_id,
        p.group_key,
        p.group_label,
        m.month,
        m.month_start,
        m.month_end
    from source_benefits as b
    join selected_projects as p using (project_id)
    cross join months as m
),

with_planned as (
    select bm.*, ms.period as planned_period, ms.planned_value
    from benefit_months as bm
    asof left join measurements as ms
        on ms.benefit_id = bm.benefit_id and ms.period_start <= bm.month_start
),

with_actual as (
    select w.*, a.period as actual_period, a.actual_value
    from with_planned as w
    asof left join actuals as a
        on a.benefit_id = w.benefit_id and a.period_start <= w.month_start
),

with_progress as (
    select
        *,
        category = 'financial' as is_financial,
        (actual_value - baseline_value) / nullif(planned_value - baseline_value, 0) as progress
    from with_actual
),

final as (
    select
        *,
        coalesce(planned_value <> baseline_value
                 and (actual_value is null or progress < 0.8), false) as is_at_risk
    from with_progress
)

select * from final
