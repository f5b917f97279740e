from pages import _ui as ui

ctx = ui.header("resources")
ui.require_data(ctx)
