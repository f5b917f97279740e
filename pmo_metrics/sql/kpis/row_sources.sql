-- Where rows behind a figure came from: for the keys given ($keys) of one key column ($key_column,
-- from lineage.SOURCE_KEYS), the extract file, its row (the header is row 1) and the load that wrote
-- it — the lineage columns the loader keeps on every contract table.

with

sources as (
    select 'project_id' as key_column, project_id as key, _file, _row, _load_id from projects
    union all
    select 'milestone_id', milestone_id, _file, _row, _load_id from milestones
    union all
    select 'benefit_id', benefit_id, _file, _row, _load_id from benefits
    union all
    select 'resource_id', resource_id, _file, _row, _load_id from resources
),

final as (
    select key, _file as source_file, _row as source_row, _load_id as load_id
    from sources
    where key_column = $key_column and list_contains($keys::varchar[], key)
)

select * from final
