-- maturity_score and maturity_level (CONTRACT §4) per month and breakdown group.

with

months as (
    {{ ref('kpis/months') }}
),

maturity_domains as (
    {{ ref('kpis/maturity_domains') }}
),

groups as (
    select distinct group_key from maturity_domains
    union
    select 'all' as group_key where $group_by = 'all'
),

business_unit_scores as (
    -- a business unit's score = mean of its assessed domain scores
    select month, group_key, business_unit, avg(score) as score
    from maturity_domains
    group by all
),

domain_scores as (
    -- the selection's score of a domain = mean over its business units
    select month, group_key, domain, avg(score) as score
    from maturity_domains
    group by all
),

selection_scores as (
    select month, group_key, avg(score) as maturity_score, count(*) as business_units
    from business_unit_scores
    group by all
),

selection_levels as (
    -- staged level: largest whole N with every domain score ≥ N; 1e-9 absorbs float error in means
    select month, group_key, floor(min(score) + 1e-9)::integer as maturity_level, count(*) as domains
    from domain_scores
    group by all
),

final as (
    select
        m.month,
        g.group_key,
        coalesce(s.business_units, 0) as business_units,
        coalesce(l.domains, 0) as domains,
        s.maturity_score,
        l.maturity_level
    from months as m
    cross join groups as g
    left join selection_scores as s on s.month = m.month and s.group_key = g.group_key
    left join selection_levels as l on l.month = m.month and l.group_key = g.group_key
)

select * from final
order by month, group_key
