-- The projects passing the global filters, whatever their stage: $portfolios, $programs,
-- $business_units and $objectives (an empty list means no filter). selected_projects.sql narrows
-- these to the stages CONTRACT §3 selects; the project page lists them all.

with

project_dim as (
    select * from marts.projects
),

final as (
    select *
    from project_dim
    where (len($portfolios::varchar[]) = 0 or list_contains($portfolios::varchar[], portfolio))
      and (len($programs::varchar[]) = 0 or list_contains($programs::varchar[], program))
      and (len($business_units::varchar[]) = 0 or list_contains($business_units::varchar[], business_unit))
      and (len($objectives::varchar[]) = 0 or list_contains($objectives::varchar[], objective_id))
)

select * from final
