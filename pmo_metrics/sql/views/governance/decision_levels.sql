-- Change decisions by the level that took them (decided_at; none for a withdrawn request or an export
-- without it), with the cost and schedule impact they carried: are big changes decided at the right
-- level? Over the selected projects' requests decided in the $decision_review_months months ending M.

with

months as (
    {{ ref('kpis/months') }}
),

changes as (
    {{ ref('kpis/change_rows') }}
),

decided as (
    select c.*, p.budget_at_completion
    from months as m
    join changes as c
        on c.decided_date >= m.month_start - to_months($decision_review_months - 1)
       and c.decided_date <= m.month_end
    join marts.projects as p on p.project_id = c.project_id
),

final as (
    select
        decided_at,
        count(*) as decisions,
        count(*) filter (where decision = 'approved') as approved,
        coalesce(sum(abs(cost_impact)), 0) as cost_impact,
        median(abs(cost_impact)) as median_cost_impact,
        max(abs(cost_impact)) as largest_cost_impact,
        median(abs(cost_impact) / nullif(budget_at_completion, 0)) as median_share_of_budget,
        coalesce(sum(schedule_impact_days), 0) as schedule_impact_days
    from decided
    group by decided_at
)

select * from final
order by coalesce(list_position($decision_levels::varchar[], decided_at), 99)
