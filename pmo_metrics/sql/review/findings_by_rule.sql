-- The findings standing against the data now loaded, per rule, table and severity: how many, and
-- how many came from loads dated in M ($month_start … $month_end).

select f.rule_id, f.severity, f."table", count(*) as findings,
       count(*) filter (where l.load_date between $month_start and $month_end) as from_loads_in_month
from meta.findings as f
left join meta.load_log as l using (load_id)
group by all
order by f.severity, findings desc, f.rule_id, f."table"
