from pages import _ui as ui

ctx = ui.header("maturity")
ui.require_data(ctx)
