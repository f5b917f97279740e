-- CONTRACT §3 "selected projects": those passing the filters whose stage is not idea or cancelled,
-- each with the key of the breakdown asked for. $group_by is bound (kpis.py allows only known
-- values); an empty filter list means no filter.

with

project_dim as (
    select * from marts.projects
),

final as (
    select
        project_id,
        start_date,
        baseline_finish_date,
        forecast_finish_date,
        actual_finish_date,
        budget_at_completion,
        case $group_by
            when 'portfolio' then portfolio
            when 'program' then program
            when 'business_unit' then business_unit
            when 'objective' then objective_id
            when 'project' then project_id
            else 'all'
        end as group_key
    from project_dim
    where is_selectable
      and (len($portfolios::varchar[]) = 0 or list_contains($portfolios::varchar[], portfolio))
      and (len($programs::varchar[]) = 0 or list_contains($programs::varchar[], program))
      and (len($business_units::varchar[]) = 0 or list_contains($business_units::varchar[], business_unit))
      and (len($objectives::varchar[]) = 0 or list_contains($objectives::varchar[], objective_id))
      and ($project_id::varchar is null or project_id = $project_id::varchar)
)

select * from final
