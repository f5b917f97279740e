-- The compliance finding: gate milestones of the selected projects that the project has run past by
-- end(M) — passed (actual_date ≤ end(M)) or past their baseline date — with no approving gate review
-- of that milestone dated ≤ end(M). Listed with the project manager to chase. A review that names no
-- milestone cannot show which gate it approved, so it clears none.

with

months as (
    {{ ref('kpis/months') }}
),

gates as (
    {{ ref('kpis/gate_rows') }}
),

approvals as (
    select milestone_id, min(review_date) as first_approval
    from gate_reviews
    where milestone_id is not null
      and list_contains($approving_gate_decisions::varchar[], decision)
    group by milestone_id
),

final as (
    select
        g.project_id,
        p.project_name,
        p.portfolio,
        p.project_manager,
        g.milestone_id,
        g.milestone_name,
        g.baseline_date,
        g.actual_date,
        case when g.actual_date <= m.month_end then 'passed without approval'
             else 'past its date, not approved' end as finding,
        date_diff('day', coalesce(least(g.actual_date, g.baseline_date), g.baseline_date), m.month_end) as days_past,
        a.first_approval as approved_later
    from months as m
    join gates as g on g.baseline_date <= m.month_end or g.actual_date <= m.month_end
    join marts.projects as p on p.project_id = g.project_id
    left join approvals as a on a.milestone_id = g.milestone_id
    where a.first_approval is null or a.first_approval > m.month_end
)

select * from final
order by days_past desc, project_id, milestone_id
