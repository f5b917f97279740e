"""How many people one dashboard server serves at once: N browsers opening pages in turn against one
`streamlit run`, and the median and 90th-percentile time until a page has finished drawing.

    python benchmarks/bench_viewers.py [--db data/pmo.duckdb] [--viewers 1,4,8,12] [--visits 8]

Without --db the seeded small demo is generated and loaded into a temporary folder. Each viewer is
its own browser context (its own Streamlit session) in one headless Chromium (Debian's,
/usr/bin/chromium); a visit is `goto(page)` until the app reports its script has stopped running.
The server's resident memory is printed after each round, and its share of the work: the CPU
seconds the server process spent per page, and the share of the machine's CPU time over the round
that was the server's (the rest is the browsers and whatever else runs). Wall-clock page times on a
machine that also runs the browsers are a floor; the server's CPU per page says how many pages a
second one server could draw with the machine to itself.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere: `python benchmarks/bench_viewers.py`

PAGES = ("", "portfolio", "finance", "resources", "benefits", "data_quality")
CHROMIUM = os.environ.get("PMO_E2E_CHROMIUM", "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demo_db(folder: Path) -> Path:
    from pmo_metrics.demo import generate_demo
    from pmo_metrics.warehouse import load_batch

    generate_demo(folder / "batch", scale="small", seed=42)
    result = load_batch(folder / "batch", folder / "pmo.duckdb", archive=False)
    if result.status != "loaded":
        raise SystemExit(f"the demo did not load: {result.message}")
    return folder / "pmo.duckdb"


def _serve(db: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ, PMO_DB=str(db), PMO_BUILD_DEMO_WHEN_EMPTY="false")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return proc, base
        except OSError:
            time.sleep(0.25)  # polling the health check
    proc.kill()
    raise SystemExit(f"the server did not start; see {log}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used so far (all cores, idle excluded)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")   # idle, iowait


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _viewer(browser, base: str, visits: int, offset: int, times: list[float]) -> None:
    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    page = await context.new_page()
    app = page.locator('[data-testid="stApp"]')
    try:
        for i in range(visits):
            path = PAGES[(offset + i) % len(PAGES)]
            started = time.monotonic()
            await page.goto(f"{base}/{path}")
            await app.wait_for(state="attached", timeout=120_000)
            await page.wait_for_function(
                "() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
                " return a && a.dataset.testConnectionState === 'CONNECTED'"
                " && a.dataset.testScriptState === 'notRunning'"
                " && !document.querySelector('[data-testid=\"stStatusWidget\"]'); }", timeout=120_000)
            times.append(time.monotonic() - started)
    finally:
        await context.close()


async def _round(base: str, viewers: int, visits: int) -> list[float]:
    from playwright.async_api import async_playwright

    times: list[float] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            await asyncio.gather(*(_viewer(browser, base, visits, v, times) for v in range(viewers)))
        finally:
            await browser.close()
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="the warehouse to serve (default: the small demo, built here)")
    parser.add_argument("--viewers", default="1,4,8,12", help="comma-separated numbers of concurrent viewers")
    parser.add_argument("--visits", type=int, default=8, help="pages each viewer opens per round")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pmo-bench-viewers-") as tmp:
        db = args.db or _demo_db(Path(tmp))
        proc, base = _serve(db, Path(tmp) / "streamlit.log")
        try:
            asyncio.run(_round(base, 1, len(PAGES)))  # warm-up: imports and the first queries
            print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
            print(f"{'viewers':>7} {'visits':>6} {'median s':>8} {'p90 s':>6} {'max s':>6} {'server RSS MB':>13} "
                  f"{'server CPU s/page':>17} {'server share':>12}")
            for n in (int(v) for v in args.viewers.split(",") if v.strip()):
                cpu, machine = _cpu_seconds(proc.pid), _machine_cpu_seconds()
                times = sorted(asyncio.run(_round(base, n, args.visits)))
                cpu, machine = _cpu_seconds(proc.pid) - cpu, _machine_cpu_seconds() - machine
                p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
                print(f"{n:>7} {len(times):>6} {statistics.median(times):>8.2f} {p90:>6.2f} {times[-1]:>6.2f} "
                      f"{_rss_mb(proc.pid):>13.0f} {cpu / len(times):>17.2f} {cpu / machine:>12.0%}", flush=True)
            print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
