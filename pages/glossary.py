from pages import _ui as ui

ctx = ui.header("glossary")
ui.require_data(ctx)
