from pages import _ui as ui

ctx = ui.header("data_quality")
ui.require_data(ctx)
