"""Fixtures shared across the test modules."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from support import free_port, pg_bin


@pytest.fixture(scope="session")
def pg_server():
    """An admin URL of a real PostgreSQL server: PMO_TEST_PG_URL, else a throwaway local cluster
    (initdb + pg_ctl on a free port, trust for `admin`, passwords for everyone else), stopped and
    removed at the end of the session."""
    if os.environ.get("PMO_TEST_PG_URL"):
        yield os.environ["PMO_TEST_PG_URL"]
        return
    bindir = pg_bin()
    tmp = Path(tempfile.mkdtemp(prefix="pmo-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(tmp, "postgres", "postgres")
    data, sock, port = tmp / "data", tmp / "sock", free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, timeout=120)

    run("mkdir", str(sock))
    run(str(bindir / "initdb"), "-D", str(data), "-U", "admin", "--auth=trust", "-E", "UTF8", "--no-sync")
    # The admin logs in without a password; everyone else needs one, so a wrong one is refused.
    (data / "pg_hba.conf").write_text("local all all trust\nhost all admin 127.0.0.1/32 trust\n"
                                      "host all all 127.0.0.1/32 scram-sha-256\n")
    opts = f"-p {port} -k {sock} -h 127.0.0.1 -c fsync=off"
    try:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log"), "-w", "-t", "60", "start")
        yield f"postgresql+psycopg://admin@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)
