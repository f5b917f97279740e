-- One row per candidate: the facts the pipeline shows and its score (CONTRACT §7), the sum of its
-- criteria's weighted parts (criteria.sql, which takes the same parameters).

with

candidates as (
    {{ ref('views/selection/candidates') }}
),

criteria as (
    {{ ref('views/selection/criteria') }}
),

scores as (
    select project_id, sum(part) as score
    from criteria
    group by project_id
),

final as (
    select
        c.project_id,
        c.project_name,
        c.portfolio,
        c.program,
        c.business_unit,
        c.objective_id,
        c.objective_name,
        c.stage,
        c.priority_score,
        c.bac,
        c.expected_benefits,
        c.benefit_ratio,
        c.open_risks,
        c.risk_exposure,
        coalesce(s.score, 0) as score
    from candidates as c
    left join scores as s on s.project_id = c.project_id
)

select * from final
order by score desc, project_id
