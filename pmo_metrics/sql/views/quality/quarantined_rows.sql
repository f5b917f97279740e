-- The rows quarantine loads set aside, with their rules, reasons and the record as read.

select load_id, "table", file, "row", rule_ids, reasons, record
from meta.quarantine
order by load_id desc, "table", "row"
