-- One row per selected project as of M: where it sits, its status and trend, earned value, next
-- milestone, open high risks and financial benefits. Its PV, EV and AC are the ones the KPI cards sum.

with

project_months as (
    {{ ref('kpis/project_months') }}
),

benefit_months as (
    {{ ref('kpis/benefit_months') }}
),

reports as (
    select project_id, report_date, overall_rag from marts.status_reports
),

source_milestones as (
    select * from milestones
),

source_risks as (
    select * from risks
),

with_previous_rag as (
    -- the latest report ≤ end(M − 1), i.e. dated before the first day of M
    select f.*, r.overall_rag as previous_rag, r.report_date as previous_report_date
    from project_months as f
    asof left join reports as r
        on r.project_id = f.project_id and r.report_date < f.month_start
),

next_milestones as (
    -- the earliest milestone not achieved by end(M), by its forecast (else baseline) date
    select
        f.project_id,
        ms.milestone_name as next_milestone,
        coalesce(ms.forecast_date, ms.baseline_date) as next_milestone_date
    from project_months as f
    join source_milestones as ms
        on ms.project_id = f.project_id and (ms.actual_date is null or ms.actual_date > f.month_end)
    qualify row_number() over (partition by f.project_id
                               order by coalesce(ms.forecast_date, ms.baseline_date), ms.milestone_id) = 1
),

open_high_risks as (
    -- open at end(M): raised by then and not closed by then; a closed risk without a closed_date
    -- is taken as closed already
    select f.project_id, count(*) as open_high_risks
    from project_months as f
    join source_risks as r on r.project_id = f.project_id
    where r.probability * r.impact >= 15
      and r.raised_date <= f.month_end
      and (r.closed_date > f.month_end or (r.closed_date is null and r.status = 'open'))
    group by all
),

project_benefits as (
    select
        project_id,
        coalesce(sum(planned_value) filter (where is_financial), 0) as benefits_planned,
        coalesce(sum(actual_value) filter (where is_financial), 0) as benefits_realized
    from benefit_months
    group by all
),

final as (
    select
        f.project_id,
        f.project_name,
        f.portfolio,
        f.program,
        f.business_unit,
        f.objective_id,
        f.objective_name,
        f.stage,
        f.project_manager,
        f.sponsor,
        f.is_active as active,
        f.overall_rag,
        f.report_date,
        f.previous_rag,
        case
            when f.overall_rag is null then null
            when f.previous_rag is null then 'new'
            when f.overall_rag = f.previous_rag then 'unchanged'
            when (case f.overall_rag when 'green' then 3 when 'amber' then 2 else 1 end)
               > (case f.previous_rag when 'green' then 3 when 'amber' then 2 else 1 end) then 'improved'
            else 'worsened'
        end as rag_trend,
        f.days_since_report,
        f.is_stale,
        f.percent_complete,
        f.pv,
        f.ev,
        f.ac,
        f.project_spi as spi,
        f.project_cpi as cpi,
        f.eac,
        f.bac,
        f.bac - f.eac as vac,
        f.start_date,
        f.baseline_finish_date,
        f.forecast_finish_date,
        f.actual_finish_date,
        f.finish_slip_days,
        nm.next_milestone,
        nm.next_milestone_date,
        coalesce(r.open_high_risks, 0) as open_high_risks,
        coalesce(b.benefits_planned, 0) as benefits_planned,
        coalesce(b.benefits_realized, 0) as benefits_realized
    from with_previous_rag as f
    left join next_milestones as nm using (project_id)
    left join open_high_risks as r using (project_id)
    left join project_benefits as b using (project_id)
)

select * from final
order by portfolio, project_id
