-- Per business unit × domain: the score in the unit's latest assessment dated ≤ end(M) and in the
-- one before it, and the change (empty when the unit was assessed once). Domains in the framework's
-- order ($maturity_domains).

with

history as (
    {{ ref('kpis/maturity_history') }}
),

assessments as (
    select
        business_unit,
        assessment_id,
        row_number() over (partition by business_unit order by assessment_date desc, assessment_id desc) as recency
    from (select distinct business_unit, assessment_id, assessment_date from history)
),

latest as (
    select h.business_unit, h.domain, h.assessment_id as latest_assessment, h.score as latest_score
    from history as h
    join assessments as a using (business_unit, assessment_id)
    where a.recency = 1
),

earlier as (
    select h.business_unit, h.domain, h.assessment_id as previous_assessment, h.score as previous_score
    from history as h
    join assessments as a using (business_unit, assessment_id)
    where a.recency = 2
),

final as (
    select l.business_unit, l.domain, e.previous_assessment, e.previous_score, l.latest_assessment,
           l.latest_score, l.latest_score - e.previous_score as change
    from latest as l
    left join earlier as e using (business_unit, domain)
)

select * from final
order by business_unit, list_position($maturity_domains::varchar[], domain)
