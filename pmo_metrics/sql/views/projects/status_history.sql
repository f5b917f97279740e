-- Every status report of the project ($project_id) dated ≤ end(M) ($month_end; all when NULL), oldest first.

select report_date, overall_rag, schedule_rag, cost_rag, scope_rag, percent_complete, summary
from status_reports
where project_id = $project_id
  and ($month_end::date is null or report_date <= $month_end::date)
order by report_date
