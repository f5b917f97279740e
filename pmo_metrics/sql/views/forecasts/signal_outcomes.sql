-- What became of each selected project after month M ($months): whether it turned red (a report dated
-- in the $outcome_months months after end(M) is red while its latest report of M was not) or missed a milestone
-- (baseline_date in the $outcome_months months after end(M), not achieved by its baseline date) —
-- the trouble an early-warning signal at M should precede.

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

horizons as (
    select month, month_end, last_day((month_start + to_months($outcome_months))::date) as horizon_end
    from months
),

rag_then as (
    select h.month, p.project_id, r.overall_rag
    from horizons as h
    cross join selected_projects as p
    asof left join marts.status_reports as r
        on r.project_id = p.project_id and r.report_date <= h.month_end
),

turned_red as (
    select distinct h.month, r.project_id
    from horizons as h
    join marts.status_reports as r on r.report_date > h.month_end and r.report_date <= h.horizon_end
    join rag_then as t on t.month = h.month and t.project_id = r.project_id
    where r.overall_rag = 'red' and t.overall_rag is distinct from 'red'
),

missed as (
    select distinct h.month, g.project_id
    from horizons as h
    join milestones as g
        on g.baseline_date > h.month_end and g.baseline_date <= h.horizon_end
       and (g.actual_date is null or g.actual_date > g.baseline_date)
    join selected_projects as p on p.project_id = g.project_id
),

final as (
    select
        h.month,
        p.project_id,
        r.project_id is not null as turned_red,
        x.project_id is not null as missed_milestone
    from horizons as h
    cross join selected_projects as p
    left join turned_red as r on r.month = h.month and r.project_id = p.project_id
    left join missed as x on x.month = h.month and x.project_id = p.project_id
)

select * from final
order by month, project_id
