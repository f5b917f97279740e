-- The findings of the loads behind the current data (warnings that loaded; errors of quarantined
-- rows), of one $severity or of all (NULL), at most $limit.

select rule_id, severity, "table", file, "row", "column", value, project_id, message, load_id
from meta.findings
where $severity::varchar is null or severity = $severity::varchar
order by severity, rule_id, "table", "row"
limit $limit
