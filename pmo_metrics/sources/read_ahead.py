"""Reading ahead: the lean passes of the tables that are one delimited file each, run two at a time
on cursors of their own while the batch's loop builds the tables before them in order (see
`ReadAhead`; the pass itself is `transform.PartBuilder`'s)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from ..findings import Finding
from . import delimited
from .transform import PartBuilder
from .workspace import Sql, Workspace, interrupt_until_done


class _Silent:
    """A findings sink that keeps nothing: planning a part ahead reports nothing (the part's own
    builder reports what planning finds, in order)."""

    def add(self, f: Finding) -> None:
        pass


class _Stopped(Exception):
    """A piece before this one failed: this one is not kept either."""


@dataclass
class _Plan:
    """What a builder's pass may run, planned beforehand in the loop's thread: by the plain cells
    of its file (index 1) or not (index 0); `pieces` > 1: a large file read in that many pieces."""

    builder: PartBuilder
    statements: tuple[Sql, Sql]
    pieces: int = 1
    table: str = ""              # CREATE the table the pieces go into
    piece: Sql | None = None     # the INSERT of one piece of a plain file
    cursors: tuple = ()          # the cursors of the pieces after the first
    blank: Callable[[], bool] | None = None  # whether the file has a blank line (CsvFile.blank_lines)


class ReadAhead:
    """Run the lean passes of `builders` (in order, two at a time) on cursors of their own, ahead of
    the loop that builds the parts one by one: each waits for its own (`PartBuilder.ahead`), and
    meanwhile the next files are read: the statements over the small files, one after another,
    left a core idle (enterprise demo, validate: the reading took 3.0 s one by one, 2.7 s read
    ahead). Only parts whose statement stands alone take part (a delimited file, no lookup: a
    cursor sees no other connection's temporary tables).

    Rows are numbered as they are read where their numbers follow one another (no blank line in
    the file), so no update of every row is needed after (`CsvFile.number_table`; 5 M timesheet
    rows: 0.33 s into a database file, where a commit of it holds up the loop): a file smaller
    than PIECE_BYTES × 2 in one statement, on one thread — as DuckDB reads such a file anyway —
    and a larger plain one (`CsvFile.plain`) in as many pieces as DuckDB has threads, each read on
    one thread and numbered from where it starts, side by side on cursors of their own and
    committed in file order, so that the table keeps the order of the file. A larger file that is
    not plain, or has a blank line, is read by DuckDB's parallel reader; the rows of a file with a
    blank line are numbered after, past it, by the loop.

    `close` when the loop is done; `interrupt` first when it failed (Ctrl-C, a refused file), so
    that a pass still reading a large file does not hold the failure up."""

    def __init__(self, ws: Workspace, builders: list[PartBuilder]):
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pmo-read-ahead")
        # Each file is looked at for plain cells (CsvFile.plain) in turn from the start, so that
        # a pass seldom waits for its answer.
        self.scanner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmo-plain-cells")
        self.cursors, self.futures, self.stopped = [], [], False
        threads = int(ws.con.execute("SELECT current_setting('threads')").fetchone()[0])
        plans = [p for p in (self._plan(b, threads) for b in builders) if p is not None]
        extra = max((p.pieces - 1 for p in plans), default=0)
        # The pieces after the first of a file run here; room for two files' at a time (the
        # pool's two passes), so that no piece waits in the queue behind another file's.
        self.beside = ThreadPoolExecutor(max_workers=2 * extra, thread_name_prefix="pmo-read-piece") if extra else None
        for plan in plans:
            b = plan.builder
            cur = self._cursor(ws)  # made here: the connection is this thread's
            plan.cursors = tuple(self._cursor(ws) for _ in range(plan.pieces - 1))
            csv = b.frame.csv
            # Taken here: the loop's thread lets go of it once it numbers the rows itself.
            plan.blank = csv.blank_lines or (lambda shifted=bool(csv.shifts): shifted)
            scan = self.scanner.submit(csv.plain, plan.pieces)
            b.ahead = self.pool.submit(self._execute, cur, plan, scan)
            self.futures.append(b.ahead)

    def _cursor(self, ws: Workspace):
        cur = ws.con.cursor()
        cur.execute("SET enable_progress_bar = false")
        self.cursors.append(cur)
        return cur

    @staticmethod
    def _plan(b: PartBuilder, threads: int) -> _Plan | None:
        def planner() -> PartBuilder:
            return PartBuilder(b.ws, b.table, b.spec, b.source, b.frame, b.mapping, b.lookups, _Silent(), b.index,
                               b.target, b.load_id, temporary=b.temporary)

        pieces = min(threads, b.frame.csv.path.stat().st_size // delimited.PIECE_BYTES)
        try:
            if pieces <= 1:
                statements = tuple(planner().lean_sql(p, numbered="whole") for p in (False, True))
                return _Plan(b, statements) if statements[0] is not None else None
            statements = tuple(planner().lean_sql(p) for p in (False, True))
            if statements[0] is None:
                return None
            plain = planner()
            piece = plain.lean_sql(True, numbered="piece")
            return _Plan(b, statements, pieces, plain.lean_table_sql(), piece)
        except Exception:  # noqa: BLE001 — a mapping error is the builder's own to report, in order
            return None

    def _execute(self, cur, plan: _Plan, scan) -> bool:
        """The lean pass; for a file whose cells are all plain, the statement made for them.
        True when the rows were numbered as they were read."""
        if self.stopped:
            raise RuntimeError("the read-ahead was stopped")  # so no builder takes the table as built
        csv = plan.builder.frame.csv
        plain = scan.result()
        # A blank line moves the numbers of the rows after it: the loop numbers them past it
        # (CsvFile.number_table, which sets every row's), and a piece's line count would be off.
        blank = plan.blank()
        if plan.pieces > 1 and plain and csv.splits and not blank:
            self._pieces(cur, plan, csv)
            return True
        sql = plan.statements[1 if plain else 0]
        cur.execute(sql.text, sql.params or None)
        return plan.pieces <= 1 and not blank  # a file read whole was numbered as it was read

    def _pieces(self, cur, plan: _Plan, csv) -> None:
        """The pieces of a plain file, each on its cursor, committed in file order."""
        cur.execute(plan.table)
        starts = [0] + csv.splits
        done = [threading.Event() for _ in starts]
        failed = threading.Event()

        def piece(i: int, c) -> None:
            rows = starts[i + 1] - starts[i] if i + 1 < len(starts) else 1 << 62
            params = {**plan.piece.params, "piece_skip": csv.skip + 1 + starts[i], "piece_rows": rows,
                      "piece_first": starts[i] + 1}
            try:
                c.execute("BEGIN TRANSACTION")
                try:
                    c.execute(plan.piece.text, params)
                    if i:
                        done[i - 1].wait()  # the pieces before are in the table first
                    if failed.is_set() or self.stopped:
                        raise _Stopped()
                    c.execute("COMMIT")
                except BaseException:
                    _rollback(c)
                    raise
            except BaseException:
                failed.set()
                raise
            finally:
                done[i].set()

        later = [self.beside.submit(piece, i, c) for i, c in enumerate(plan.cursors, start=1)]
        errors: list[BaseException] = []
        try:
            piece(0, cur)
        except BaseException as exc:  # noqa: BLE001 — raised below, once the other pieces stopped
            errors.append(exc)
            for c in plan.cursors:
                c.interrupt()
        for f in later:
            try:
                f.result()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
        first = next((e for e in errors if not isinstance(e, _Stopped)), errors[0] if errors else None)
        if first is not None:
            raise first

    def interrupt(self) -> None:
        """Stop the passes not yet run, and the ones running."""
        self.stopped = True
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.scanner.shutdown(wait=False, cancel_futures=True)
        for cur in self.cursors:
            cur.interrupt()

    def close(self) -> None:
        """Wait for the passes still running, and close their cursors. After `interrupt`, a pass
        that began just as it came is interrupted again until it stops."""
        if self.stopped:
            interrupt_until_done(self.cursors, self.futures)
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.scanner.shutdown(wait=True, cancel_futures=True)
        if self.beside is not None:
            self.beside.shutdown(wait=True)
        for cur in self.cursors:
            cur.close()


def _rollback(cur) -> None:
    """Roll the piece's transaction back; a COMMIT that failed has done so already."""
    import duckdb

    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        pass
