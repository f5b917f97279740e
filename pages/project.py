from pages import _ui as ui

ctx = ui.header("project")
ui.require_data(ctx)
