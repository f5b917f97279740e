-- Each given project's ($project_ids) latest status report dated ≤ end(M) ($month_end) that has
-- commentary, and that commentary.

select project_id, report_date, summary
from status_reports
where list_contains($project_ids::varchar[], project_id)
  and report_date <= $month_end
  and summary is not null and trim(summary) <> ''
qualify row_number() over (partition by project_id order by report_date desc) = 1
