"""The server's garbage collector, kept off the heap that lives as long as the server.

Streamlit runs a full collection after every script run (`runner.postScriptGC`), so that what a run
left in reference cycles is freed at once. A full collection walks every object the collector
tracks, and once the modules, the caches and the sessions are loaded those are some 200,000, nearly
all of them living as long as the server: on the 2-core machine that walk was 0.1 s of the 0.26 s of
CPU a page cost the server, with the interpreter lock held against every other viewer's run. Frozen,
the collection after a run takes a few milliseconds and a page about 0.15 s of the server's CPU.

`freeze_if_due` moves what is alive into the permanent generation (`gc.freeze`), which the
collections after each run do not walk, so they see only what later runs allocate. Each time it
first thaws and collects everything once, so an object that was alive at one freeze and has since
become garbage (a session that expired, a run that was mid-way) is freed at the next one rather
than never. The heap grows most in the server's first minute (each page imports what it draws
with on its first run), so the freezes come one second apart at first, the gap doubling up to
`REFREEZE_SECONDS`.
"""
from __future__ import annotations

import gc
import threading
import time

REFREEZE_SECONDS = 60.0   # how long garbage among frozen objects may wait; one full walk each time
FIRST_GAP_SECONDS = 1.0   # the gap after the first freeze, doubled after each one

_lock = threading.Lock()
_frozen_at: float | None = None
_gap = FIRST_GAP_SECONDS


def freeze_if_due(now: float | None = None) -> bool:
    """Thaw, collect and freeze the heap when the gap since the last freeze has passed (or there has
    been none); returns whether it did. Called at the start of every script run: once the gap is
    REFREEZE_SECONDS, one run a minute pays for one full collection."""
    global _frozen_at, _gap
    now = time.monotonic() if now is None else now
    if not _due(now) or not _lock.acquire(blocking=False):   # not yet, or another run is at it
        return False
    try:
        if not _due(now):
            return False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        if _frozen_at is not None:
            _gap = min(_gap * 2, REFREEZE_SECONDS)
        _frozen_at = now
        return True
    finally:
        _lock.release()


def _due(now: float) -> bool:
    return _frozen_at is None or now - _frozen_at >= _gap
