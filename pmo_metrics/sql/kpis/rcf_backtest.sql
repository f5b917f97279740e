-- The backtest of the reference-class forecast (CONTRACT §6, rcf_p80_coverage): per month asked for,
-- the selected projects that finished in the $backtest_months months ending end(M), each forecast
-- with the reference class as of the month before its start month (only those whose class then had
-- enough members), and whether the actual finish came on or before that P80 finish. A project is
-- never in its own class: its class finished before it started.

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

finished as (
    select
        m.month,
        p.group_key,
        p.project_id,
        d.delivery_approach,
        p.start_date,
        p.baseline_finish_date,
        p.actual_finish_date,
        (date_trunc('month', p.start_date) - interval 1 month)::date as class_month_start
    from months as m
    join selected_projects as p
        on p.actual_finish_date <= m.month_end
       and p.actual_finish_date > last_day((m.month_start - to_months($backtest_months))::date)
    join marts.projects as d using (project_id)
),

classes as (
    -- the class as of the month before the start; past the classes' last month, their last row
    select f.month, f.project_id, c.class_kind, c.class_size, c.schedule_ratio_p80
    from finished as f
    join marts.reference_classes as c
        on c.delivery_approach = f.delivery_approach
       and (c.month_start = f.class_month_start or (c.is_last and c.month_start < f.class_month_start))
),

final as (
    select
        f.month,
        f.group_key,
        f.project_id,
        f.start_date,
        f.baseline_finish_date,
        f.actual_finish_date,
        c.class_kind,
        c.class_size,
        f.start_date + round(c.schedule_ratio_p80
                             * date_diff('day', f.start_date, f.baseline_finish_date))::integer as rcf_finish_p80,
        f.actual_finish_date <= f.start_date + round(c.schedule_ratio_p80
                             * date_diff('day', f.start_date, f.baseline_finish_date))::integer as covered
    from finished as f
    join classes as c using (month, project_id)
)

select * from final
order by month, project_id
