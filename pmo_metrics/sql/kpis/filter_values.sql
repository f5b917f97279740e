-- The values each global filter offers, one row per filter and value (sorted): the portfolios,
-- programs and business units of selectable projects (and the business units that were assessed,
-- since maturity is scoped by business unit), the strategic objectives with their names, and the
-- departments.

with

selectable_projects as (
    select * from marts.projects where is_selectable
),

objectives as (
    select objective_id, any_value(objective_name) as objective_name
    from (
        select objective_id, objective_name from strategic_objectives
        union all
        select objective_id, objective_name from selectable_projects
    )
    where objective_id is not null
    group by objective_id
),

business_units as (
    select business_unit from selectable_projects
    union
    select business_unit from marts.maturity_domains
),

final as (
    select distinct 'portfolios' as filter, portfolio as value, null::varchar as label from selectable_projects
    union all
    select distinct 'programs', program, null from selectable_projects
    union all
    select 'business_units', business_unit, null from business_units
    union all
    select 'objectives', objective_id, coalesce(objective_name, objective_id) from objectives
    union all
    select distinct 'departments', department, null from resources
)

select * from final
where value is not null
order by filter, value
