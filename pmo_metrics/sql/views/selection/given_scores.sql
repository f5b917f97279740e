-- The rows of main.project_scores (CONTRACT §1, optional): a criterion's score for a project, given by
-- the PMO, which replaces the built-in one. Read only when the table exists (pipeline.has_scores).

select project_id, criterion, score
from main.project_scores
where project_id is not null and criterion is not null and score is not null
