from pages import _ui as ui

ctx = ui.header("data_loads")
ui.require_data(ctx)
