-- The selected projects' change requests, each with its breakdown key: the input of the change KPIs
-- and of the governance page's change-control tables.

with

selected_projects as (
    {{ ref('kpis/selected_projects') }}
),

source_changes as (
    select * from change_requests
),

final as (
    select
        p.group_key,
        cr.*
    from source_changes as cr
    join selected_projects as p using (project_id)
    where cr.raised_date is not null
)

select * from final
