-- Every risk raised by end(M), for each month M asked for ($months), with its score (probability ×
-- impact), whether it is high (score ≥ $high_risk_score) and whether it is open at end(M): raised
-- by then and not closed by then; a closed risk without a closed_date is taken as closed already.

with

months as (
    {{ ref('kpis/months') }}
),

source_risks as (
    select * from risks
),

final as (
    select
        m.month,
        r.*,
        r.probability * r.impact as score,
        r.probability * r.impact >= $high_risk_score as is_high,
        (r.closed_date is null and r.status = 'open') or r.closed_date > m.month_end as is_open
    from months as m
    join source_risks as r on r.raised_date <= m.month_end
)

select * from final
