"""Load benchmark: validate and load the enterprise demo batch, beside DuckDB's bare CSV ingest.

    python benchmarks/bench_load.py [--batch DIR] [--workdir DIR]

Each phase runs in its own process so its peak memory (max RSS) is its own. The floor is what
DuckDB alone takes to ingest the same CSV files into tables
(`CREATE TABLE … AS SELECT * FROM read_csv(…)`), with no checks and no typing beyond its own sniffing.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def phase(name: str, batch: Path, workdir: Path) -> dict:
    t0 = time.perf_counter()
    if name == "floor":
        import duckdb
        db = workdir / "floor.duckdb"
        db.unlink(missing_ok=True)
        con = duckdb.connect(str(db), config={"autoinstall_known_extensions": False})
        rows = 0
        for csv in sorted(batch.glob("*.csv")):
            con.execute(f'CREATE TABLE "{csv.stem}" AS SELECT * FROM read_csv(?)', [str(csv)])
            rows += con.execute(f'SELECT count(*) FROM "{csv.stem}"').fetchone()[0]
        con.execute("CHECKPOINT")
        con.close()
    elif name == "validate":
        from pmo_metrics.warehouse import validate_batch
        _, report = validate_batch(batch, db_path=None, load_date=date.today())
        rows = sum(report.rows_read.values())
        assert report.ok, report.render(20)
    elif name == "load":
        from pmo_metrics.warehouse import load_batch
        db = workdir / "bench.duckdb"
        for p in workdir.glob("bench.duckdb*"):
            p.unlink()
        result = load_batch(batch, db, archive=True)
        assert result.status == "loaded", result.message
        rows = sum(result.rows_loaded.values())
    else:
        raise SystemExit(f"unknown phase {name}")
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"phase": name, "rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "peak_rss_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=Path, help="an existing enterprise batch (default: generate one)")
    parser.add_argument("--workdir", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    batch = args.batch or args.workdir / "enterprise"
    if args.phase:
        print(json.dumps(phase(args.phase, batch, args.workdir)))
        return
    if not (batch / "timesheets.csv").exists():
        from pmo_metrics.demo import generate_demo
        t0 = time.perf_counter()
        counts = generate_demo(batch, scale="enterprise", seed=42)
        print(f"generated the enterprise batch in {time.perf_counter() - t0:.1f} s: "
              + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    size_mb = sum(p.stat().st_size for p in batch.glob("*.csv")) / 2**20
    print(f"batch: {batch} ({size_mb:,.0f} MB of CSV)")
    results = {}
    for name in ("floor", "validate", "load"):
        out = subprocess.run([sys.executable, __file__, "--phase", name, "--batch", str(batch),
                              "--workdir", str(args.workdir)], capture_output=True, text=True, check=True)
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\n| phase | rows | seconds | rows/s | peak RSS | vs DuckDB floor |\n|---|---:|---:|---:|---:|---:|")
    floor = results["floor"]["seconds"]
    for name, r in results.items():
        print(f"| {name} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | {r['peak_rss_mb']:,.0f} MB "
              f"| {r['seconds'] / floor:.1f}x |")


if __name__ == "__main__":
    main()
