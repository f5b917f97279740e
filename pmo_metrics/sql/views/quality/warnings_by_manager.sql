-- The warnings ($severity) that name a project, per its project manager and rule: who to ask to fix what.

select coalesce(p.project_manager, '(no project manager)') as project_manager, f.rule_id,
       count(*) as warnings, count(distinct f.project_id) as projects
from meta.findings as f
left join main.projects as p using (project_id)
where f.severity = $severity and f.project_id is not null
group by all
order by warnings desc, project_manager, rule_id
