"""Write constraints.txt: the exact version of every package requirements-dev.txt needs, as installed here.

    pip install -r requirements-dev.txt && python scripts/freeze_constraints.py > constraints.txt

It is `pip freeze` narrowed to the dependency closure of requirements-dev.txt (extras included), so
packages that happen to be installed on the machine beside it do not leak into a release. CI installs
with `pip install -r requirements-dev.txt -c constraints.txt`; refresh the file when a requirement
changes, then run the tests.
"""
from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def requirement_lines(path: Path) -> list[str]:
    """The requirement lines of a requirements file, following `-r other.txt`."""
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            lines += requirement_lines(path.parent / line[3:].strip())
        elif not line.startswith("-"):
            lines.append(line)
    return lines


def closure(roots: list[Requirement]) -> dict[str, str]:
    """Every installed distribution the roots need, transitively: canonical name → version."""
    env = default_environment()
    pinned: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(r, frozenset(r.extras)) for r in roots]
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"{req.name} is not installed: pip install -r requirements-dev.txt first") from None
        pinned[name] = dist.version
        for text in dist.requires or ():
            sub = Requirement(text)
            if sub.marker is None or any(sub.marker.evaluate({**env, "extra": e}) for e in (extras or {""})):
                todo.append((sub, frozenset(sub.extras)))
    return pinned


def main() -> int:
    roots = [Requirement(line) for line in requirement_lines(ROOT / "requirements-dev.txt")]
    pins = closure(roots)
    out = ["# Exact versions for a reproducible install; refresh: python scripts/freeze_constraints.py > constraints.txt",
           f"# Python {sys.version_info.major}.{sys.version_info.minor}"]
    out += [f"{metadata.distribution(name).metadata['Name']}=={version}" for name, version in sorted(pins.items())]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
