-- Per table × rule of the rule registry (passed in step as $rule_tables, $rule_ids,
-- $rule_severities, $rule_descriptions): the rows checked in the table's latest load, the rows with
-- a finding of the rule, and the pass rate (the share of rows without one). Tables in load order.

with

rules as (
    select
        unnest($rule_tables::varchar[]) as "table",
        unnest($rule_ids::varchar[]) as rule_id,
        unnest($rule_severities::varchar[]) as severity,
        unnest($rule_descriptions::varchar[]) as description
),

checked as (
    select t."table", t.rows_read as rows_checked
    from meta.table_rows as t
    join meta.load_log as l using (load_id)
    qualify row_number() over (partition by t."table" order by l.finished_at desc) = 1
),

failed as (
    select "table", rule_id,
           count(distinct coalesce(file || ':' || cast("row" as varchar), project_id, message)) as rows_failed
    from meta.findings
    group by all
),

final as (
    select
        r."table",
        r.rule_id,
        r.severity,
        r.description,
        c.rows_checked,
        coalesce(f.rows_failed, 0) as rows_failed,
        case when c.rows_checked > 0
             then greatest(1 - coalesce(f.rows_failed, 0) / c.rows_checked, 0) end as pass_rate
    from rules as r
    join checked as c using ("table")
    left join failed as f using ("table", rule_id)
)

select * from final
order by list_position($load_order::varchar[], "table"), rule_id
