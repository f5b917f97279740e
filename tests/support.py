"""Helpers the tests share that are not fixtures: free ports and the local PostgreSQL binaries."""
from __future__ import annotations

import shutil
import socket
from glob import glob
from pathlib import Path

import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin() -> Path:
    """The folder holding initdb and pg_ctl (Debian's newest PostgreSQL, else the PATH's)."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pytest.fail("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): install the `postgresql` "
                "package (.ci/run does) or set PMO_TEST_PG_URL to a server's URL")
