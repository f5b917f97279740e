-- Gate reviews of the selected projects by decision, in the window gate_approval_rate counts (the
-- $gate_review_window_months months ending end(M)): the approved ones add up to that KPI's numerator.

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

reviews as (
    select r.review_date, r.decision
    from gate_reviews as r
    join selected_projects as p using (project_id)
    where r.review_date is not null
),

final as (
    select
        r.decision,
        count(*) as reviews,
        list_contains($approving_gate_decisions::varchar[], r.decision) as is_approval
    from months as m
    join reviews as r
        on r.review_date >= m.month_start - to_months($gate_review_window_months - 1)
       and r.review_date <= m.month_end
    group by r.decision
)

select * from final
order by list_position($gate_decisions::varchar[], decision)
