from pages import _ui as ui

ctx = ui.header("finance")
ui.require_data(ctx)
