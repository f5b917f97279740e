-- Each candidate × configured criterion (CONTRACT §7): the criterion's score — from project_scores
-- where the candidate has one, else the built-in criterion of that name, else 0 — its weight, and its
-- weighted part, weight × score / Σ weights. A candidate's score is the sum of its parts.
-- $criteria and $weights are the configured criteria in order; $given_project_ids, $given_criteria and
-- $given_scores the rows of project_scores (empty lists where the warehouse has no such table).

with

candidates as (
    {{ ref('views/selection/candidates') }}
),

configured as (
    select
        i + 1 as position,
        ($criteria::varchar[])[i + 1] as criterion,
        ($weights::double[])[i + 1] as weight
    from range(len($criteria::varchar[])) as t(i)
),

weight_total as (
    select sum(weight) as weight from configured
),

given as (
    select
        unnest($given_project_ids::varchar[]) as project_id,
        unnest($given_criteria::varchar[]) as criterion,
        unnest($given_scores::double[]) as score
),

built_in as (
    select project_id, 'strategic_alignment' as criterion, objective_weight as value,
           score_strategic_alignment as score
    from candidates
    union all
    select project_id, 'priority', priority_score, score_priority from candidates
    union all
    select project_id, 'benefit_ratio', benefit_ratio, score_benefit_ratio from candidates
    union all
    select project_id, 'risk', risk_exposure, score_risk from candidates
),

scored as (
    select
        c.project_id,
        k.position,
        k.criterion,
        k.weight,
        b.value as built_in_value,
        b.score as built_in_score,
        g.score as given_score,
        case when g.score is not null then 'project_scores'
             when b.score is not null then 'built-in'
             else 'none' end as source,
        coalesce(g.score, b.score, 0) as score
    from candidates as c
    cross join configured as k
    left join built_in as b on b.project_id = c.project_id and b.criterion = k.criterion
    left join given as g on g.project_id = c.project_id and g.criterion = k.criterion
),

final as (
    select s.*, s.weight * s.score / w.weight as part
    from scored as s
    cross join weight_total as w
)

select * from final
order by project_id, position
