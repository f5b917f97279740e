-- The project's risks ($project_id) raised by end(M), with their score and whether open at end(M).

with

risk_states as (
    {{ ref('kpis/risk_states') }}
),

final as (
    select risk_id, title, probability, impact, score, owner, raised_date, closed_date, is_open
    from risk_states
    where project_id = $project_id
)

select * from final
order by is_open desc, score desc, risk_id
