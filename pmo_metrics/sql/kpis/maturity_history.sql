-- Every assessment of the selected business units dated ≤ end(M), per domain, with the business
-- unit's score in that assessment (mean of its domain scores), for trend charts.

with

source_domains as (
    select * from marts.maturity_domains
    where (len($business_units::varchar[]) = 0 or list_contains($business_units::varchar[], business_unit))
      and ($as_of_end::date is null or assessment_date <= $as_of_end::date)
),

final as (
    select
        business_unit,
        assessment_id,
        assessment_date,
        domain,
        score,
        target_score,
        target_score - score as gap,
        criteria,
        avg(score) over (partition by business_unit, assessment_id) as business_unit_score
    from source_domains
)

select * from final
order by business_unit, assessment_date, assessment_id, domain
