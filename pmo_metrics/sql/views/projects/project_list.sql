-- Every project passing the filters, whatever its stage (the project page can open an idea too).

with

filtered_projects as (
    {{ ref('kpis/filtered_projects') }}
),

final as (
    select project_id, project_name, portfolio, program, business_unit, stage
    from filtered_projects
)

select * from final
order by project_id
