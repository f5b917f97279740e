-- Risks of the selected projects raised in M with probability × impact ≥ 15.

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

source_risks as (
    select * from risks
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
        r.probability * r.impact as score,
        r.status,
        r.owner,
        r.raised_date,
        r.closed_date
    from months as m
    join source_risks as r on r.raised_date between m.month_start and m.month_end
    join selected_projects as sp on sp.project_id = r.project_id
    join marts.projects as p on p.project_id = r.project_id
    where r.probability * r.impact >= 15
)

select * from final
order by score desc, raised_date, risk_id
