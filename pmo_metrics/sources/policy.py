"""What a mapping may reach: files inside its batch folder, allow-listed environment variables,
and databases only where an administrator allows them.

A mapping is data that can arrive from anywhere — uploaded on the Data loads page, mailed by a
supplier, copied from a wiki — so it is never trusted with the server: a source path that leaves
the batch folder (absolute, `../…`, or a symlink pointing out) is refused; `${VAR}` in a database
URL expands only variables whose names match the allow-list; and a mapping uploaded through the page
may not read databases at all unless the setting `upload_database_sources` is on.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

from ..findings import BatchError

# Variables a mapping may name in `${…}` unless the setting `mapping_variables` says otherwise.
DEFAULT_VARIABLES = ("*_DB_URL", "*_DB_USER", "*_DB_PASSWORD")


def parse_patterns(text: str) -> tuple[str, ...]:
    """'A_URL, *_DB_URL  B' → ('A_URL', '*_DB_URL', 'B'): names or shell patterns, comma- or space-separated."""
    return tuple(p for p in re.split(r"[\s,]+", text.strip()) if p)


@dataclass(frozen=True)
class SourcePolicy:
    """The limits a batch read works under (see the module docstring)."""

    variables: tuple[str, ...] = DEFAULT_VARIABLES
    database_sources: bool = True
    uploaded: bool = False      # the mapping came through the Data loads page

    @classmethod
    def for_cli(cls, settings) -> "SourcePolicy":
        return cls(parse_patterns(settings.mapping_variables), True, False)

    @classmethod
    def for_upload(cls, settings) -> "SourcePolicy":
        return cls(parse_patterns(settings.mapping_variables), bool(settings.upload_database_sources), True)

    def allows_variable(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, p) for p in self.variables)

    def check_variable(self, name: str, source: str) -> None:
        if not self.allows_variable(name):
            allowed = " ".join(self.variables) or "none"
            raise BatchError(f"{source}: environment variable {name} is not one a mapping may use "
                             f"(allowed: {allowed}; an administrator sets the list with PMO_MAPPING_VARIABLES)")


def default_policy() -> SourcePolicy:
    """The command line's policy, from the settings (environment) as they are now."""
    from ..settings import load_settings  # settings read the environment: only when a batch is read

    return SourcePolicy.for_cli(load_settings())


def inside(path: Path, folder: Path) -> bool:
    """Whether `path`, with every symlink resolved, lies inside `folder` (resolved too)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def confine(path: Path, folder: Path, what: str) -> Path:
    """`path` if it resolves inside `folder`; else a one-line BatchError naming `what`."""
    if not inside(path, folder):
        raise BatchError(f"{what} is outside the batch folder; a batch reads only files inside "
                         f"{folder.name or folder} (symlinks are followed before this check)")
    return path
