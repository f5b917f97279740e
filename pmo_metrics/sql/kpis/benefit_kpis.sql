-- The benefit KPIs of CONTRACT §3 per month and breakdown group: by a project dimension, or by a
-- benefit's own type, category or owner ($benefit_dimensions), where the benefit–cost ratio is
-- empty (costs belong to projects, not to a kind of benefit).

with

months as (
    {{ ref('kpis/months') }}
),

project_groups as (
    {{ ref('kpis/project_groups') }}
),

benefit_months as (
    {{ ref('kpis/benefit_months') }}
),

groups as (
    select group_key from project_groups
    where not list_contains($benefit_dimensions::varchar[], $group_by)
    union
    select distinct group_key from benefit_months
    where list_contains($benefit_dimensions::varchar[], $group_by)
),

project_months as (
    {{ ref('kpis/project_months') }}
),

benefit_totals as (
    select
        m.month,
        g.group_key,
        count(b.benefit_id) as benefits,
        count(*) filter (where b.is_financial) as financial_benefits_measured,
        coalesce(sum(b.target_value) filter (where b.is_financial), 0) as financial_target,
        coalesce(sum(b.planned_value) filter (where b.is_financial), 0) as benefits_planned_to_date,
        coalesce(sum(b.actual_value) filter (where b.is_financial), 0) as benefits_realized_to_date,
        count(*) filter (where b.is_at_risk) as benefits_at_risk
    from months as m
    cross join groups as g
    left join benefit_months as b
        on b.month = m.month and b.group_key is not distinct from g.group_key
    group by m.month, g.group_key
),

cost_totals as (
    -- the benefit-cost ratio divides by the actual cost to date of every selected project,
    -- active or not
    select month, group_key, sum(ac) as selected_actual_cost, bool_or(has_actual_cost) as has_actual_cost
    from project_months
    group by all
),

final as (
    select
        t.month,
        t.group_key,
        t.benefits,
        t.financial_target,
        t.financial_benefits_measured,
        -- No data is not zero (CONTRACT §3): without a measurement ≤ M of any financial benefit the
        -- benefit figures are empty; with one but no actual yet, realised is 0 (a fact)
        case when t.financial_benefits_measured > 0 then t.benefits_planned_to_date end as benefits_planned_to_date,
        case when t.financial_benefits_measured > 0 then t.benefits_realized_to_date end as benefits_realized_to_date,
        case when t.financial_benefits_measured > 0
             then t.benefits_realized_to_date / nullif(t.benefits_planned_to_date, 0) end as benefit_realization_rate,
        t.benefits_at_risk,
        coalesce(c.selected_actual_cost, 0) as selected_actual_cost,
        case when t.financial_benefits_measured > 0 and c.has_actual_cost
             then t.benefits_realized_to_date / nullif(c.selected_actual_cost, 0) end as benefit_cost_ratio
    from benefit_totals as t
    left join cost_totals as c
        on c.month = t.month and c.group_key is not distinct from t.group_key
)

select * from final
order by month, group_key
