-- The mean change of each domain's score across the business units assessed twice (see
-- changes.sql), in the framework's order.

with

changes as (
    {{ ref('views/maturity/changes') }}
),

final as (
    select domain, avg(change) as change, count(distinct business_unit) as business_units
    from changes
    where change is not null
    group by domain
)

select * from final
order by list_position($maturity_domains::varchar[], domain)
