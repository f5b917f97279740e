-- The candidates with the facts the pipeline shows and the four built-in criteria of CONTRACT §7,
-- each as its input value and its score from 0 to 100:
--   strategic_alignment  the objective's weight / the largest weight of all objectives × 100 (0 without one)
--   priority             priority_score (0 when empty)
--   benefit_ratio        percent_rank of Σ (target − baseline) of the financial benefits / BAC (0 when
--                        BAC is 0) × 100
--   risk                 100 − percent_rank of Σ probability × impact of the open risks × 100
-- percent_rank is (rank − 1) / (n − 1) in ascending order, ties taking the lowest rank, 0 when n = 1,
-- over every candidate (also those whose score a project_scores row replaces).

with

candidate_projects as (
    {{ ref('views/selection/candidate_projects') }}
),

source_objectives as (
    select * from strategic_objectives
),

source_benefits as (
    select * from benefits
),

source_risks as (
    select * from risks
),

largest_weight as (
    select max(weight) as weight from source_objectives
),

objective_weights as (
    -- objective_id is the key of strategic_objectives; max() only guards the join against duplicates
    select objective_id, max(weight) as weight
    from source_objectives
    group by objective_id
),

expected_benefits as (
    select project_id, sum(target_value - baseline_value) as expected_benefits
    from source_benefits
    where category = 'financial'
    group by project_id
),

open_risks as (
    select project_id, count(*) as open_risks, sum(probability * impact) as risk_exposure
    from source_risks
    where status = 'open'
    group by project_id
),

built_in_values as (
    select
        c.*,
        o.weight as objective_weight,
        coalesce(b.expected_benefits, 0) as expected_benefits,
        coalesce(r.open_risks, 0) as open_risks,
        coalesce(r.risk_exposure, 0) as risk_exposure,
        coalesce(o.weight / nullif(w.weight, 0) * 100, 0) as score_strategic_alignment,
        coalesce(c.priority_score, 0) as score_priority,
        case when c.bac = 0 then 0 else coalesce(b.expected_benefits, 0) / c.bac end as benefit_ratio
    from candidate_projects as c
    cross join largest_weight as w
    left join objective_weights as o on o.objective_id = c.objective_id
    left join expected_benefits as b on b.project_id = c.project_id
    left join open_risks as r on r.project_id = c.project_id
),

final as (
    select
        *,
        percent_rank() over (order by benefit_ratio) * 100 as score_benefit_ratio,
        100 - percent_rank() over (order by risk_exposure) * 100 as score_risk
    from built_in_values
)

select * from final
order by project_id
