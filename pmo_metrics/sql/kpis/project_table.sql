-- One row per selected project as of M ($as_of; $months holds M − 1 and M): where it sits, its
-- status and trend, earned value, next milestone, open high risks and financial benefits. Its PV,
-- EV and AC are the ones the KPI cards sum.

with

months as (
    {{ ref('kpis/months') }}
),

project_months as (
    {{ ref('kpis/project_months') }}
),

benefit_months as (
    {{ ref('kpis/benefit_months') }}
),

selected_projects as (
    -- every selected project, including those that have not started, reported or booked anything
    {{ ref('kpis/selected_projects') }}
),

project_dim as (
    select * from marts.projects
),

source_milestones as (
    select * from milestones
),

risk_states as (
    {{ ref('kpis/risk_states') }}
),

as_of as (
    select * from months where month = $as_of
),

current_facts as (
    select * from project_months where month = $as_of
),

previous_facts as (
    select * from project_months where month <> $as_of
),

next_milestones as (
    -- the earliest milestone not achieved by end(M), by its forecast (else baseline) date
    select
        ms.project_id,
        ms.milestone_name as next_milestone,
        coalesce(ms.forecast_date, ms.baseline_date) as next_milestone_date
    from as_of as m
    join source_milestones as ms on ms.actual_date is null or ms.actual_date > m.month_end
    join selected_projects as sp on sp.project_id = ms.project_id
    qualify row_number() over (partition by ms.project_id
                               order by coalesce(ms.forecast_date, ms.baseline_date), ms.milestone_id) = 1
),

open_high_risks as (
    select r.project_id, count(*) as open_high_risks
    from risk_states as r
    join selected_projects as sp on sp.project_id = r.project_id
    where r.month = $as_of and r.is_open and r.is_high
    group by all
),

project_benefits as (
    select
        project_id,
        coalesce(sum(planned_value) filter (where is_financial), 0) as benefits_planned,
        coalesce(sum(actual_value) filter (where is_financial), 0) as benefits_realized
    from benefit_months
    where month = $as_of
    group by all
),

final as (
    select
        p.project_id,
        p.project_name,
        p.portfolio,
        p.program,
        p.business_unit,
        p.objective_id,
        p.objective_name,
        p.stage,
        p.project_manager,
        p.sponsor,
        coalesce(f.is_active, false) as active,
        f.overall_rag,
        f.report_date,
        prev.overall_rag as previous_rag,
        case
            when f.overall_rag is null then null
            when prev.overall_rag is null then 'new'
            when f.overall_rag = prev.overall_rag then 'unchanged'
            -- $rag_order runs from worst to best
            when list_position($rag_order::varchar[], f.overall_rag)
               > list_position($rag_order::varchar[], prev.overall_rag) then 'improved'
            else 'worsened'
        end as rag_trend,
        f.days_since_report,
        coalesce(f.is_stale, true) as is_stale,
        f.percent_complete,
        coalesce(f.pv, 0) as pv,
        f.ev,
        coalesce(f.ac, 0) as ac,
        f.project_spi as spi,
        f.project_cpi as cpi,
        -- a project with no facts yet has AC = EV = 0, so EAC = AC + BAC − EV = BAC
        coalesce(f.eac, p.budget_at_completion) as eac,
        p.budget_at_completion as bac,
        p.budget_at_completion - coalesce(f.eac, p.budget_at_completion) as vac,
        p.start_date,
        p.baseline_finish_date,
        p.forecast_finish_date,
        p.actual_finish_date,
        date_diff('day', p.baseline_finish_date,
                  coalesce(p.forecast_finish_date, p.baseline_finish_date)) as finish_slip_days,
        nm.next_milestone,
        nm.next_milestone_date,
        coalesce(r.open_high_risks, 0) as open_high_risks,
        coalesce(b.benefits_planned, 0) as benefits_planned,
        coalesce(b.benefits_realized, 0) as benefits_realized
    from selected_projects as sp
    join project_dim as p on p.project_id = sp.project_id
    left join current_facts as f on f.project_id = sp.project_id
    left join previous_facts as prev on prev.project_id = sp.project_id
    left join next_milestones as nm on nm.project_id = sp.project_id
    left join open_high_risks as r on r.project_id = sp.project_id
    left join project_benefits as b on b.project_id = sp.project_id
)

select * from final
order by portfolio, project_id
