-- One row per selected project × month asked for: the facts every project KPI of CONTRACT §3 is a
-- sum or a count of. Per-project EV, AC, CPI and EAC live here and nowhere else, so the KPI cards,
-- the project table, the breakdowns and the traceability rows agree by construction.

with

months as (
    {{ ref('kpis/months') }}
),

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

reports as (
    select project_id, report_date, overall_rag from marts.status_reports
),

progress_reports as (
    -- EV reads the latest report that HAS a percent_complete, which may be older than the latest report
    select project_id, report_date, percent_complete
    from marts.status_reports
    where percent_complete is not null
),

costs as (
    select * from marts.project_costs
),

project_months as (
    select
        p.*,
        m.month,
        m.month_start,
        m.month_end,
        coalesce(p.start_date <= m.month_end
                 and (p.actual_finish_date is null or p.actual_finish_date > m.month_end), false) as is_active
    from selected_projects as p
    cross join months as m
),

with_latest_report as (
    select pm.*, r.report_date, r.overall_rag
    from project_months as pm
    asof left join reports as r
        on r.project_id = pm.project_id and r.report_date <= pm.month_end
),

with_progress as (
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
        -- the year-to-date running total restarts each January; the latest period ≤ M from an
        -- earlier year means nothing was booked this year yet
        case when year(c.period_start) = year(w.month_start) then c.planned_cost_ytd else 0 end as budget_ytd,
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
        budget_at_completion * percent_complete / 100 as ev
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
        month,
        month_start,
        month_end,
        group_key,
        group_label,
        project_id,
        project_name,
        portfolio,
        program,
        business_unit,
        objective_id,
        objective_name,
        sponsor,
        project_manager,
        delivery_approach,
        stage,
        priority_score,
        start_date,
        baseline_finish_date,
        forecast_finish_date,
        actual_finish_date,
        is_active,
        report_date,
        overall_rag,
        date_diff('day', report_date, month_end) as days_since_report,
        report_date is null or date_diff('day', report_date, month_end) > 35 as is_stale,
        progress_date,
        percent_complete,
        bac,
        pv,
        ev,
        ac,
        project_spi,
        project_cpi,
        -- EACp = BACp / CPIp when CPIp > 0, else ACp + BACp − EVp (EVp counted as 0 without progress)
        case when project_cpi > 0 then bac / project_cpi
             else ac + bac - coalesce(ev, 0) end as eac,
        date_diff('day', baseline_finish_date,
                  coalesce(forecast_finish_date, baseline_finish_date)) as finish_slip_days,
        coalesce(actual_finish_date <= month_end, false) as is_finished,
        coalesce(actual_finish_date <= baseline_finish_date, false) as finished_on_time,
        budget_ytd,
        actual_cost_ytd
    from with_indices
)

select * from final
