-- The open risks of the selected projects at end($as_of) (kpis/risk_states), for the portfolio risk
-- heatmap and the list a clicked cell opens.

with

risk_states as (
    {{ ref('kpis/risk_states') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

final as (
    select
        r.risk_id, r.project_id, d.project_name, r.title, r.probability, r.impact, r.score, r.is_high,
        r.owner, r.raised_date
    from risk_states as r
    join selected_projects as p using (project_id)
    join marts.projects as d using (project_id)
    where r.month = $as_of and r.is_open
)

select * from final
order by score desc, raised_date, risk_id
