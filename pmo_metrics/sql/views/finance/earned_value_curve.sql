-- Cumulative planned value, earned value and actual cost month by month of one fixed set of
-- projects: those active at M ($as_of). The KPIs of each month sum the projects active in that
-- month, a set that changes as projects start and finish, so a curve of them can fall; this one
-- follows the same projects throughout (each adds nothing before it started, and its last figures
-- after it finished), so every line only rises.

with

months as (
    {{ ref('kpis/months') }}
),

project_months as (
    {{ ref('kpis/project_months') }}
),

fixed_set as (
    select project_id
    from project_months
    where month = $as_of and is_active
),

final as (
    select
        m.month,
        count(f.project_id) as projects,
        coalesce(sum(f.pv), 0) as pv,
        -- empty, not 0, when none of the projects reported a percent complete by then
        sum(f.ev) as ev,
        coalesce(sum(f.ac), 0) as ac
    from months as m
    left join (project_months join fixed_set using (project_id)) as f on f.month = m.month
    group by m.month
)

select * from final
order by month
