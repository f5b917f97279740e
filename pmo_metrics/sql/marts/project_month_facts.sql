-- marts.project_month_facts: for every project and every month of its span, the per-project facts
-- of CONTRACT §3 as of the end of that month — activity, latest report, progress, PV/EV/AC, EAC,
-- staleness, delivery — so a KPI query is a lookup and a sum, not a computation.
--
-- A project's span runs from the first month in which anything about it is dated (start, a
-- report, a cost period) to the last (start, actual finish, a cost period, or two months after
-- its last report). Before the span the project has not started, reported or booked anything, so
-- it adds nothing to any KPI. After the span nothing about it changes: it has started and finished
-- (or not) for good, its latest report and progress are final, its running cost totals are final,
-- and its last report is stale (the span reaches two months past it, and at least to the month in
-- which it is more than $stale_report_days old). So a month past the span reads the span's last row
-- (is_last); only year-to-date totals depend on the month, and kpis/project_months.sql zeroes them
-- when the row is from an earlier year.

with

source_projects as (
    select project_id, start_date, baseline_finish_date, forecast_finish_date, actual_finish_date,
           budget_at_completion
    from projects
    where project_id is not null and start_date is not null
),

reports as (
    select project_id, report_date, overall_rag from marts.status_reports
),

progress_reports as (
    select project_id, report_date, percent_complete
    from marts.status_reports
    where percent_complete is not null
),

costs as (
    select * from marts.project_costs
),

report_ranges as (
    select project_id, min(report_date) as first_report, max(report_date) as last_report
    from reports
    group by project_id
),

cost_ranges as (
    select project_id, min(period_start) as first_period, max(period_start) as last_period
    from costs
    group by project_id
),

spans as (
    -- least() and greatest() skip empty arguments
    select
        p.*,
        least(date_trunc('month', p.start_date), date_trunc('month', r.first_report),
              c.first_period)::date as first_month_start,
        greatest(date_trunc('month', p.start_date), date_trunc('month', p.actual_finish_date),
                 date_trunc('month', r.last_report) + interval 2 month,
                 date_trunc('month', r.last_report + ($stale_report_days + 1)),
                 c.last_period)::date as last_month_start
    from source_projects as p
    left join report_ranges as r using (project_id)
    left join cost_ranges as c using (project_id)
),

spine as (
    select
        s.*,
        g.month_start::date as month_start,
        last_day(g.month_start::date) as month_end,
        g.month_start::date = s.last_month_start as is_last
    from spans as s,
         generate_series(s.first_month_start, s.last_month_start, interval 1 month) as g(month_start)
),

with_latest_report as (
    select s.*, r.report_date, r.overall_rag
    from spine as s
    asof left join reports as r
        on r.project_id = s.project_id and r.report_date <= s.month_end
),

with_progress as (
    -- EV reads the latest report that HAS a percent_complete, which may be older than the latest
    select w.*, g.report_date as progress_date, g.percent_complete
    from with_latest_report as w
    asof left join progress_reports as g
        on g.project_id = w.project_id and g.report_date <= w.month_end
),

with_costs as (
    select
        w.*,
        coalesce(c.planned_cost_to_date, 0) as pv,
        coalesce(c.actual_cost_to_date, 0) as ac,
        coalesce(c.actual_cost_periods_to_date, 0) > 0 as has_actual_cost,
        -- the year-to-date running total restarts each January: the latest period ≤ the month
        -- being from an earlier year means nothing was booked this year yet
        case when year(c.period_start) = year(w.month_start) then c.planned_cost_ytd else 0 end as planned_cost_ytd,
        case when year(c.period_start) = year(w.month_start) then c.actual_cost_ytd else 0 end as actual_cost_ytd
    from with_progress as w
    asof left join costs as c
        on c.project_id = w.project_id and c.period_start <= w.month_start
),

with_earned_value as (
    select
        *,
        budget_at_completion as bac,
        -- empty (not 0) for a project without progress: sums skip it, so EV is empty when no
        -- active project has progress and is the sum of the others otherwise (they count as 0)
        budget_at_completion * percent_complete / 100 as ev,
        start_date <= month_end and (actual_finish_date is null or actual_finish_date > month_end) as is_active
    from with_costs
),

with_indices as (
    select
        *,
        ev / nullif(pv, 0) as project_spi,
        -- CPIp is empty when ACp = 0 (and when the project has no progress)
        ev / nullif(ac, 0) as project_cpi
    from with_earned_value
),

final as (
    select
        project_id,
        month_start,
        is_last,
        is_active,
        report_date,
        overall_rag,
        report_date is null or date_diff('day', report_date, month_end) > $stale_report_days as is_stale,
        progress_date,
        percent_complete,
        bac,
        pv,
        ev,
        ac,
        has_actual_cost,
        project_spi,
        project_cpi,
        -- EACp = BACp / CPIp when CPIp > 0, else ACp + BACp − EVp (EVp counted as 0 without progress)
        case when project_cpi > 0 then bac / project_cpi
             else ac + bac - coalesce(ev, 0) end as eac,
        date_diff('day', baseline_finish_date,
                  coalesce(forecast_finish_date, baseline_finish_date)) as finish_slip_days,
        coalesce(actual_finish_date <= month_end, false) as is_finished,
        coalesce(actual_finish_date <= baseline_finish_date, false) as finished_on_time,
        planned_cost_ytd,
        actual_cost_ytd
    from with_indices
)

select * from final
order by month_start, project_id
