"""Reading ahead: the lean passes of the tables that are one delimited file each, run two at a time
on cursors of their own while the batch's loop builds the tables before them in order (see
`ReadAhead`; the pass itself is `transform.PartBuilder`'s)."""
from __future__ import annotations

from ..findings import Finding
from .transform import PartBuilder
from .workspace import Sql, Workspace, interrupt_until_done


class _Silent:
    """A findings sink that keeps nothing: planning a part ahead reports nothing (the part's own
    builder reports what planning finds, in order)."""

    def add(self, f: Finding) -> None:
        pass


class ReadAhead:
    """Run the lean passes of `builders` (in order, two at a time) on cursors of their own, ahead of
    the loop that builds the parts one by one: each waits for its own (`PartBuilder.ahead`), and
    meanwhile the next files are read: the statements over the small files, one after another,
    left a core idle (enterprise demo, validate: the reading took 3.0 s one by one, 2.7 s read
    ahead). Only parts whose statement stands alone take part (a delimited file, no lookup: a
    cursor sees no other connection's temporary tables).

    `close` when the loop is done; `interrupt` first when it failed (Ctrl-C, a refused file), so
    that a pass still reading a large file does not hold the failure up."""

    def __init__(self, ws: Workspace, builders: list[PartBuilder]):
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pmo-read-ahead")
        # Each file is looked at for plain cells (CsvFile.plain) in turn from the start, so that
        # a pass seldom waits for its answer.
        self.scanner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pmo-plain-cells")
        self.cursors, self.futures, self.stopped = [], [], False
        for b in builders:
            try:
                sql, plain = (self._planner(b).lean_sql(p) for p in (False, True))
            except Exception:  # noqa: BLE001 — a mapping error is the builder's own to report, in order
                sql = plain = None
            if sql is not None:
                cur = ws.con.cursor()  # made here: the connection is this thread's
                cur.execute("SET enable_progress_bar = false")
                self.cursors.append(cur)
                scan = self.scanner.submit(b.frame.csv.plain)
                b.ahead = self.pool.submit(self._execute, cur, sql, plain, scan)
                self.futures.append(b.ahead)

    @staticmethod
    def _planner(b: PartBuilder) -> PartBuilder:
        return PartBuilder(b.ws, b.table, b.spec, b.source, b.frame, b.mapping, b.lookups, _Silent(), b.index,
                           b.target, b.load_id, temporary=b.temporary)

    def _execute(self, cur, sql: Sql, plain: Sql, scan) -> None:
        """The lean pass; for a file whose cells are all plain, the statement made for them."""
        if self.stopped:
            raise RuntimeError("the read-ahead was stopped")  # so no builder takes the table as built
        if scan.result():
            sql = plain
        cur.execute(sql.text, sql.params or None)

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
        for cur in self.cursors:
            cur.close()
