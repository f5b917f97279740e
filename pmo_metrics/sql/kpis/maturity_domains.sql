-- One row per business unit × assessed domain × month asked for, from the business unit's latest
-- assessment with assessment_date ≤ end(M) (CONTRACT §4; scoped by business unit only).

with

months as (
    {{ ref('kpis/months') }}
),

domains as (
    select
        *,
        case $group_by
            when 'business_unit' then business_unit
            when 'domain' then domain
            else 'all'
        end as group_key
    from marts.maturity_domains
    where len($business_units::varchar[]) = 0 or list_contains($business_units::varchar[], business_unit)
),

assessments as (
    select distinct business_unit, assessment_id, assessment_date from domains
),

latest as (
    -- ties on the date go to the greatest assessment_id, so the choice never depends on row order
    select m.month, m.month_end, a.business_unit, a.assessment_id, a.assessment_date
    from months as m
    join assessments as a on a.assessment_date <= m.month_end
    qualify row_number() over (partition by m.month, a.business_unit
                               order by a.assessment_date desc, a.assessment_id desc) = 1
),

final as (
    select
        l.month,
        d.group_key,
        d.business_unit,
        d.domain,
        d.assessment_id,
        d.assessment_date,
        d.score,
        d.target_score,
        d.target_score - d.score as gap,
        d.criteria,
        d.criteria_with_target
    from latest as l
    join domains as d using (business_unit, assessment_id)
)

select * from final
