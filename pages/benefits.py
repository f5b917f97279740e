from pages import _ui as ui

ctx = ui.header("benefits")
ui.require_data(ctx)
