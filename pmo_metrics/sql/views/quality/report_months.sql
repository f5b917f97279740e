-- The months of the first and the last status report.

select strftime(min(report_date), '%Y-%m') as first_report, strftime(max(report_date), '%Y-%m') as last_report
from main.status_reports
