-- marts.project_earned_schedule: the earned schedule ESₚ (CONTRACT §6, Lipke's method) of every
-- project in every month of its span in which it has EVₚ (a latest report with percent_complete)
-- and a planned-value curve. C = the largest t ≤ N with PV(t) ≤ EV; ES = N when C = N (EV at or
-- beyond the total plan), else C + (EV − PV(C)) / (PV(C+1) − PV(C)). AT depends on the month asked
-- for and is computed by kpis/project_forecasts.sql; is_last marks the row a later month reads.

with

facts as (
    select project_id, month_start, is_last, ev
    from marts.project_month_facts
    where ev is not null
),

curves as (
    select * from marts.planned_value_curves
),

crossed as (
    -- PV(0) = 0 ≤ EV always, so every fact with a curve has a C
    select f.project_id, f.month_start, max(c.t) as c_t
    from facts as f
    join curves as c on c.project_id = f.project_id and c.pv <= f.ev
    group by f.project_id, f.month_start
),

final as (
    select
        x.project_id,
        x.month_start,
        f.is_last,
        f.ev,
        c.planned_months,
        -- PV(C+1) > EV ≥ PV(C) when C < N (C is the largest), so the divisor is positive
        case when x.c_t = c.planned_months then c.planned_months::double
             else x.c_t + (f.ev - c.pv) / (c.next_pv - c.pv) end as earned_schedule
    from crossed as x
    join facts as f using (project_id, month_start)
    join curves as c on c.project_id = x.project_id and c.t = x.c_t
)

select * from final
order by month_start, project_id
