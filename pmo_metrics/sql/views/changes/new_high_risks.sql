-- Risks of the selected projects raised in M that are high (probability × impact ≥ $high_risk_score).

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

risk_states as (
    {{ ref('kpis/risk_states') }}
),

final as (
    select
        p.project_id,
        p.project_name,
        p.portfolio,
        r.risk_id,
        r.title,
        r.probability,
        r.impact,
        r.score,
        r.status,
        r.owner,
        r.raised_date,
        r.closed_date
    from months as m
    join risk_states as r on r.month = m.month and r.raised_date >= m.month_start
    join selected_projects as sp on sp.project_id = r.project_id
    join marts.projects as p on p.project_id = r.project_id
    where r.is_high
)

select * from final
order by score desc, raised_date, risk_id
