-- The change requests open_change_requests counts at end(M) (raised by then, not decided by then),
-- by age band: days since raised_date, cut at $age_bands (e.g. 30, 60, 90 → 0–30, 31–60, 61–90, > 90).

with

months as (
    {{ ref('kpis/months') }}
),

changes as (
    {{ ref('kpis/change_rows') }}
),

open_changes as (
    select
        date_diff('day', c.raised_date, m.month_end) as age_days,
        c.cost_impact
    from months as m
    join changes as c
        on c.raised_date <= m.month_end and (c.decided_date is null or c.decided_date > m.month_end)
),

banded as (
    select
        *,
        -- the band's index: how many cuts the age is above
        len(list_filter($age_bands::integer[], lambda b: b < age_days)) as band
    from open_changes
),

final as (
    select
        band,
        count(*) as open_requests,
        coalesce(sum(cost_impact), 0) as cost_impact,
        max(age_days) as oldest_days
    from banded
    group by band
)

select * from final
order by band
