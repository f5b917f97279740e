"""The raw-file archive's housekeeping: how long loads' copies are kept, and what it weighs.

Every published load keeps a copy of its batch under `archive/<database>/<load id>/`, so a figure
can be traced back to its extract. Kept for ever, 100 small loads came to 261 MB; a killed load left
its `.partial` folder behind. The retention keeps the copies of the last `keep_loads` published
loads and of every load published in the last `keep_months` calendar months (this one included),
and removes the rest, orphans first: a folder whose load never published.
"""
from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path


def _months_back(day: date, months: int) -> date:
    """The first day of the month `months - 1` before `day`'s (months=1: this month's first day)."""
    index = day.year * 12 + day.month - 1 - max(months - 1, 0)
    return date(index // 12, index % 12 + 1, 1)


def kept(published: dict[str, datetime], keep_loads: int, keep_months: int, today: date) -> set[str]:
    """The load ids whose copies the retention keeps."""
    newest = sorted(published, key=lambda lid: published[lid], reverse=True)
    keep = set(newest[:max(keep_loads, 0)])
    if keep_months > 0:
        since = _months_back(today, keep_months)
        keep |= {lid for lid, at in published.items() if at.date() >= since}
    return keep


def prune_archive(folder: Path, published: dict[str, datetime], keep_loads: int, keep_months: int,
                  today: date | None = None) -> list[str]:
    """Remove the archive folders the retention does not keep, and every orphan (a folder whose
    load never published, a `.partial` copy of a killed load); returns the names removed. Run
    under the load lock, so no load is writing its copy meanwhile."""
    if not folder.is_dir():
        return []
    keep = kept(published, keep_loads, keep_months, today or date.today())
    removed = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink() and entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


def archive_bytes(folder: Path) -> tuple[int, int]:
    """(folders, bytes) the archive holds: for the Data loads page."""
    if not folder.is_dir():
        return 0, 0
    folders = total = 0
    for entry in folder.iterdir():
        if entry.is_dir():
            folders += 1
            total += sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())
    return folders, total
