"""Load benchmark: `validate` and `load` of a demo batch, beside DuckDB alone ingesting the same CSVs.

    python benchmarks/bench_load.py [--scale enterprise|enterprise-xl] [--runs 3] [--batch DIR]
                                    [--workdir DIR] [--json FILE]

Each command runs as a user runs it, in a process of its own (wall time, and that process's peak
RSS), from the package's compiled bytecode as an installed one runs; the floor and the product take turns, run after run, so a machine that gets busier slows
both alike. The floor is what DuckDB alone takes to ingest the same CSV files into tables
(`CREATE TABLE … AS SELECT * FROM read_csv(…)` per file, then a checkpoint), with no checks and no
typing beyond its own sniffing. Medians and the ratios to the floor are printed, and written as
JSON (default benchmarks/out/bench_load-<scale>.json) so the ratio can be tracked across releases.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

FLOOR = """
import sys, duckdb
from pathlib import Path
batch, db = Path(sys.argv[1]), sys.argv[2]
con = duckdb.connect(db, config={"autoinstall_known_extensions": False})
for csv in sorted(batch.glob("*.csv")):
    con.execute(f'CREATE TABLE "{csv.stem}" AS SELECT * FROM read_csv(?)', [str(csv)])
con.execute("CHECKPOINT")
con.close()
"""


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """Run a command; (wall seconds, peak RSS in MB of its process, CPU seconds: user + system of
    all its threads — on a machine busy with other work the wall time follows the others' load,
    the CPU time much less)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", help="demo scale to generate (default enterprise; with --batch, the "
                                         "batch folder's name names the figures)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (default 3)")
    parser.add_argument("--batch", type=Path, help="an existing batch (default: generate the demo batch)")
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--json", type=Path, help="where to write the figures")
    parser.add_argument("--phases", default="floor,validate,load", help="commands to time (default all three)")
    args = parser.parse_args()
    label = args.scale or (args.batch.name if args.batch else "enterprise")  # what the figures are of
    args.scale = args.scale or "enterprise"
    args.workdir.mkdir(parents=True, exist_ok=True)
    batch = args.batch or args.workdir / args.scale
    if not (batch / "timesheets.csv").exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pmo_metrics", "demo", "--scale", args.scale, "--out", str(batch),
                        "--quiet"], cwd=REPO, check=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
        print(f"generated the {args.scale} batch in {time.perf_counter() - t0:.1f} s")
    csvs = sorted(batch.glob("*.csv"))
    size_mb = sum(p.stat().st_size for p in csvs) / 2**20
    rows = sum(max(sum(1 for _ in p.open("rb")) - 1, 0) for p in csvs)
    print(f"batch: {batch} ({len(csvs)} CSV files, {size_mb:,.0f} MB, {rows:,} lines of data)")

    # The product runs from bytecode, as an installed package does: where Python may not write it on
    # import (PYTHONDONTWRITEBYTECODE), every run would compile the package again (~0.05 s).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "pmo_metrics")], check=True)

    run_dir = args.workdir / f"run-{label}"
    db = run_dir / "bench.duckdb"

    def fresh() -> None:
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)

    commands = {
        "floor": [sys.executable, "-c", FLOOR, str(batch), str(db)],
        "validate": [sys.executable, "-m", "pmo_metrics", "validate", str(batch), "--db", str(db), "--quiet"],
        "load": [sys.executable, "-m", "pmo_metrics", "load", str(batch), "--db", str(db), "--quiet"],
    }
    phases = [p.strip() for p in args.phases.split(",")]
    results: dict[str, list[tuple[float, float, float]]] = {p: [] for p in phases}
    for i in range(args.runs):
        for phase in phases:
            fresh()
            results[phase].append(timed(commands[phase]))
            wall, rss, cpu = results[phase][-1]
            print(f"run {i + 1}: {phase:8s} {wall:6.2f} s  {cpu:6.2f} s CPU  {rss:7,.0f} MB")
    shutil.rmtree(run_dir, ignore_errors=True)

    medians = {p: {"seconds": statistics.median(s for s, _, _ in r), "peak_rss_mb": statistics.median(m for _, m, _ in r),
                   "cpu_seconds": statistics.median(c for _, _, c in r),
                   "runs": [{"seconds": round(s, 3), "peak_rss_mb": round(m, 1), "cpu_seconds": round(c, 3)}
                            for s, m, c in r]}
               for p, r in results.items()}
    floor = medians.get("floor", {}).get("seconds")
    floor_cpu = medians.get("floor", {}).get("cpu_seconds")
    print(f"\n| command | seconds (median of {args.runs}) | vs DuckDB floor | CPU seconds | vs floor (CPU) | peak RSS |"
          "\n|---|---:|---:|---:|---:|---:|")
    for p, m in medians.items():
        m["ratio_to_floor"] = round(m["seconds"] / floor, 3) if floor else None
        m["cpu_ratio_to_floor"] = round(m["cpu_seconds"] / floor_cpu, 3) if floor_cpu else None
        ratio = f"{m['ratio_to_floor']:.2f}×" if floor else "–"
        cpu_ratio = f"{m['cpu_ratio_to_floor']:.2f}×" if floor_cpu else "–"
        print(f"| {p} | {m['seconds']:.2f} | {ratio} | {m['cpu_seconds']:.2f} | {cpu_ratio} | {m['peak_rss_mb']:,.0f} MB |")
    load_avg = os.getloadavg()
    print(f"\nload average at the end: {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f} on {os.cpu_count()} cores")
    out = args.json or args.workdir / f"bench_load-{label}.json"
    out.write_text(json.dumps({
        "scale": label, "batch": str(batch), "csv_mb": round(size_mb, 1), "rows": rows, "runs": args.runs,
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in load_avg], "python": platform.python_version(),
        "commands": medians,
    }, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {out}")


if __name__ == "__main__":
    main()
