-- marts.planned_value_curves: each project's cumulative planned value by month of its life, the curve
-- earned schedule (CONTRACT §6) reads EV against. t counts months from the start month s (t = 1 is s;
-- planned costs booked before s count from s on); PV(0) = 0; the curve stops at N, the smallest t at
-- which PV(t) reaches the project's total planned cost. A project without any financials row has no
-- curve, so no earned schedule.

with

source_projects as (
    select project_id, date_trunc('month', start_date)::date as start_month
    from projects
    where project_id is not null and start_date is not null
),

costs as (
    select project_id, period_start, planned_cost from marts.project_costs
),

indexed as (
    select
        c.project_id,
        greatest(date_diff('month', p.start_month, c.period_start) + 1, 1) as t,
        coalesce(c.planned_cost, 0) as planned_cost
    from costs as c
    join source_projects as p using (project_id)
),

by_month as (
    select project_id, t, sum(planned_cost) as planned_cost
    from indexed
    group by project_id, t
),

extents as (
    select project_id, max(t) as last_t, sum(planned_cost) as total_planned
    from by_month
    group by project_id
),

spine as (
    select e.project_id, e.total_planned, g.t
    from extents as e,
         generate_series(0, e.last_t) as g(t)
),

cumulative as (
    select
        s.project_id,
        s.t,
        s.total_planned,
        sum(coalesce(b.planned_cost, 0)) over (partition by s.project_id order by s.t
                                               rows between unbounded preceding and current row) as pv
    from spine as s
    left join by_month as b using (project_id, t)
),

ends as (
    -- a running sum of doubles may differ from the total in its last bits: equal within 1e-9
    select project_id, min(t) as planned_months
    from cumulative
    where t >= 1 and abs(pv - total_planned) <= 1e-9 * greatest(abs(total_planned), 1)
    group by project_id
),

final as (
    -- the window runs after the where: at t = N the next value is empty (no month beyond N is read)
    select
        c.project_id,
        c.t,
        c.pv,
        lead(c.pv) over (partition by c.project_id order by c.t) as next_pv,
        e.planned_months
    from cumulative as c
    join ends as e using (project_id)
    where c.t <= e.planned_months
)

select * from final
order by project_id, t
