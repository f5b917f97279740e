-- marts.status_reports: the reports the KPIs read, sorted for the as-of joins.

with

source_reports as (
    select * from status_reports
),

final as (
    select
        project_id,
        report_date,
        overall_rag,
        schedule_rag,
        cost_rag,
        scope_rag,
        percent_complete
    from source_reports
    where project_id is not null and report_date is not null
)

select * from final
order by project_id, report_date
