-- marts.maturity_domains: per business unit × assessment × domain, the domain score (mean of the
-- criterion scores, CONTRACT §4) and the target (mean of the criterion targets given).

with

source_assessments as (
    select * from maturity_assessments
    where business_unit is not null and assessment_id is not null and domain is not null
      and assessment_date is not null
),

assessment_dates as (
    -- one assessment of one business unit has one date; max() only guards against a stray row
    select business_unit, assessment_id, max(assessment_date) as assessment_date
    from source_assessments
    group by all
),

domains as (
    select
        business_unit,
        assessment_id,
        domain,
        avg(score) as score,
        avg(target_score) as target_score,
        count(score) as criteria,
        count(target_score) as criteria_with_target
    from source_assessments
    group by all
),

final as (
    select d.business_unit, d.assessment_id, a.assessment_date, d.domain,
           d.score, d.target_score, d.criteria, d.criteria_with_target
    from domains as d
    join assessment_dates as a using (business_unit, assessment_id)
)

select * from final
order by business_unit, assessment_date, assessment_id, domain
