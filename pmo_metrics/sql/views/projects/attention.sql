-- The active projects at M ($as_of) whose latest report is red or amber, worst first ($rag_order),
-- with that report's commentary.

with

project_table as (
    {{ ref('kpis/project_table') }}
),

reports as (
    select project_id, report_date, summary from status_reports
),

final as (
    select t.project_id, t.project_name, t.portfolio, t.project_manager, t.overall_rag, t.rag_trend,
           t.report_date, t.percent_complete, r.summary
    from project_table as t
    left join reports as r using (project_id, report_date)
    where t.active and t.overall_rag in ('red', 'amber')
)

select * from final
order by list_position($rag_order::varchar[], overall_rag), project_id
