"""Plausibility against what was loaded last time (CONTRACT §2, PRJ-BUDGET-JUMP).

A unit slip — £m read as £, a `$M` column loaded without its scale — passes every rule of one row:
the budget is a valid, positive number. Only the last load knows it was a thousand times smaller.
"""
from __future__ import annotations

from ..sources.cells import float_text
from .rules import State

JUMP_FACTOR = 10  # CONTRACT §2: a factor of 10 or more either way


def budget_jumps(state: State) -> None:
    """PRJ-BUDGET-JUMP: a project's budget_at_completion differs from the loaded one by ×10 or more."""
    if "projects" not in state.batch or "projects" not in state.loaded:
        return
    new, old = state.get("projects"), state.loaded["projects"]
    rows = (f"(SELECT p.*, o.budget_at_completion AS _before FROM {new} AS p JOIN {old} AS o USING (project_id) "
            f"WHERE p.budget_at_completion > 0 AND o.budget_at_completion > 0 AND "
            f"greatest(p.budget_at_completion, o.budget_at_completion) >= "
            f"{JUMP_FACTOR} * least(p.budget_at_completion, o.budget_at_completion))")
    ratio = "p_ratio"
    state.emit("PRJ-BUDGET-JUMP", "projects", "budget_at_completion",
               f"(SELECT *, budget_at_completion / _before AS {ratio} FROM {rows})",
               value=float_text("budget_at_completion"), located=True,
               message=(f"'budget at completion was ' || {float_text('_before')} || ' when last loaded: ' || "
                        f"CASE WHEN {ratio} >= 1 THEN round({ratio}, 1) || ' times as much' "
                        f"ELSE round(1 / {ratio}, 1) || ' times less' END || ' (a unit slip such as £m read as £?)'"))
