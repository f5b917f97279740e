-- The given projects' ($project_ids) milestones forecast (else baselined) to fall between $start and
-- $end, not achieved by $known_end.

select project_id, milestone_id, milestone_name, is_gate, baseline_date, forecast_date, actual_date
from milestones
where list_contains($project_ids::varchar[], project_id)
  and coalesce(forecast_date, baseline_date) between $start and $end
  and (actual_date is null or actual_date > $known_end)
order by coalesce(forecast_date, baseline_date), project_id, milestone_id
