"""A clone is self-sufficient: the contract and the real exports ship in the repository, and no test
reads outside it.

While the shared folder the contract is written in sits beside the checkout (`../shared`), the copies
must be identical to it; a clone without it passes on its own copies.
"""
from __future__ import annotations

import difflib
import filecmp
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"   # the one place a test may look outside the repository: to compare
THIS = Path(__file__).resolve()


def _first_difference(ours: Path, theirs: Path) -> str:
    a = ours.read_text(encoding="utf-8").splitlines()
    b = theirs.read_text(encoding="utf-8").splitlines()
    diff = list(difflib.unified_diff(b, a, str(theirs), str(ours), lineterm="", n=0))
    return "\n".join(diff[:12])


def test_the_contract_ships_with_the_product():
    text = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    assert "## 2." in text and "## 3." in text


def test_docs_contract_is_the_shared_contract():
    ours, theirs = ROOT / "docs" / "contract.md", SHARED / "CONTRACT.md"
    if not theirs.is_file():   # a clone on its own: its copy is the contract
        assert ours.stat().st_size > 10_000
        return
    assert ours.read_bytes() == theirs.read_bytes(), (
        f"docs/contract.md differs from {theirs} (copy it over):\n{_first_difference(ours, theirs)}")


def test_examples_real_is_the_shared_real_data():
    ours, theirs = ROOT / "examples" / "real", SHARED / "real"
    if not theirs.is_dir():    # a clone on its own: its copy is the data
        assert len(list(ours.rglob("*.csv"))) == 6
        return
    differ = []

    def walk(cmp: filecmp.dircmp, prefix: str = ""):
        differ.extend(f"{prefix}{n} (only in {theirs})" for n in cmp.right_only)
        differ.extend(f"{prefix}{n} (only in examples/real)" for n in cmp.left_only)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        differ.extend(f"{prefix}{n}" for n in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(ours, theirs))
    assert not differ, f"examples/real differs from {theirs}: {differ}"


# What a path out of the repository looks like in a test or an example: the shared folder by name, a
# parent of the checkout, or an absolute path into the workplace. A bare `../` is left alone: the
# security tests write it on purpose, to see it refused.
_OUTSIDE = re.compile(r"""["'/]shared["'/]|\.\./shared|(?:REPO|ROOT)\.parent\b|/work/""")
_PARENTS = re.compile(r"parents\[(\d+)\]")


def _reads_outside(text: str, where: str) -> list[str]:
    """The lines of the file at `where` (relative to the repository) that name a path outside it."""
    depth = len(Path(where).parts)          # parents[depth - 1] of a file at `where` is the repository
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0] if where.endswith(".py") else line
        if _OUTSIDE.search(code) or any(int(k) >= depth for k in _PARENTS.findall(code)):
            found.append(f"{where}:{n}: {line.strip()}")
    return found


def test_no_test_or_example_reads_outside_the_repository():
    files = [p for p in (ROOT / "tests").rglob("*.py") if p.resolve() != THIS]
    files += list((ROOT / "examples").rglob("*.toml")) + list((ROOT / "examples").rglob("*.md"))
    files += list((ROOT / "benchmarks").rglob("*.py"))
    assert len(files) > 50
    found = [hit for p in files for hit in _reads_outside(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))]
    assert not found, "reads outside the repository:\n" + "\n".join(found)


def test_the_outside_path_check_catches_what_it_should():
    probe = ('A = Path(__file__).resolve().parents[3] / "x"\nB = ROOT.parent / "shared" / "CONTRACT.md"\n'
             'C = Path(__file__).resolve().parents[2] / "docs"  # ../shared in a comment: fine\n'
             'D = "/work/shared/real/gmpp_uk"\n')
    hits = _reads_outside(probe, "tests/structure/probe.py")
    assert [h.split(":")[1] for h in hits] == ["1", "2", "4"]
    assert _reads_outside("python -m pmo_metrics validate ../shared/real/gmpp_uk", "examples/README.md")
