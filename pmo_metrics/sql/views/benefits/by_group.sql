-- The benefits of the selected projects at M per group ($group_by: a project dimension, or the
-- benefit's type, category or owner): how many, how many at risk, and — financial benefits only —
-- target, planned to date, realised to date and the realisation rate: the benefit KPI query's own
-- rows, so the groups add up to the cards. Groups without a benefit measured by M are left out.

with

benefit_kpis as (
    {{ ref('kpis/benefit_kpis') }}
),

final as (
    select
        group_key as key,
        benefits,
        benefits_at_risk as at_risk,
        financial_target as target,
        benefits_planned_to_date as planned_to_date,
        benefits_realized_to_date as realized_to_date,
        benefit_realization_rate as realization_rate
    from benefit_kpis
    where benefits > 0
)

select * from final
order by planned_to_date desc, benefits desc, key
