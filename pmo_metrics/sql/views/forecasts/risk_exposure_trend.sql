-- Open-risk exposure of the selected projects per month asked for ($months): the risks open at end(M),
-- how many are high (score ≥ $high_risk_score, via kpis/risk_states) and Σ probability × impact. A month
-- without open risks reads 0 risks and exposure 0 once the data has risks at all.

with

months as (
    {{ ref('kpis/months') }}
),

risk_states as (
    {{ ref('kpis/risk_states') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

open_risks as (
    select r.month, r.score, r.is_high
    from risk_states as r
    join selected_projects as p using (project_id)
    where r.is_open
),

final as (
    select
        m.month,
        count(o.score) as open_risks,
        count(*) filter (where o.is_high) as high_risks,
        coalesce(sum(o.score), 0) as exposure
    from months as m
    left join open_risks as o using (month)
    group by m.month
)

select * from final
order by month
