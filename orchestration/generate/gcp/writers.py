"""The files of the export, as a BigQuery extract of the export table writes them.

Layout::

    OUT/gcp_billing_export_resource_v1_<ACCOUNT_WITH_UNDERSCORES>/export_date=YYYY-MM-DD/
        extract=YYYYMMDDTHHMMSSZ/000000000000.json.gz     (or .parquet; shards of <= shard_rows rows)
    OUT/ground_truth/part-00000.parquet ...
    OUT/manifest.json                                     (written by export.py)

Rows are newline-delimited JSON with BigQuery's escapes, gzip-compressed (no file name, mtime 0:
the same arguments give the same bytes), or Parquet with the export's Arrow schema. Each export
day of a billing account is extracted once, complete, the next morning; one day per account is
also extracted mid-day, a partial extract holding only the rows exported before that moment.
A background thread compresses and writes while the main thread generates rows.
"""

from __future__ import annotations

import queue
import threading
import zlib
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from orchestration.generate.gcp.ground_truth import GroundTruth
from orchestration.generate.gcp.organisation import ACCOUNTS
from orchestration.generate.gcp.timeline import (
    DAY_US,
    date_of_day_ordinal,
    utc_datetime,
    utc_midnight_us,
)

TABLE_PREFIX = "gcp_billing_export_resource_v1_"
# rows per Parquet row group (a JSON shard is compressed every 2000 rows)
_PARQUET_ROW_GROUP = 50_000


def bigquery_json(value: Any) -> bytes:
    """JSON as BigQuery's extract writes it: `<`, `>` and `&` escaped (they occur only in strings)."""
    return orjson.dumps(value).replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


def encode_prefix(static: dict[str, Any]) -> bytes:
    """The JSON object `static` without its closing brace, ready to be followed by the per-row fields."""
    return bigquery_json(static)[:-1] + b","


def to_parquet_static(static: dict[str, Any]) -> dict[str, Any]:
    """`static` for the parquet writer: the price numbers (strings in JSON) as Decimal."""
    d = dict(static)
    if "price" in d:
        p = dict(d["price"])
        for k in (
            "effective_price",
            "tier_start_amount",
            "pricing_unit_quantity",
            "list_price",
            "effective_price_default",
            "list_price_consumption_model",
        ):
            if k in p:
                p[k] = Decimal(p[k])
        d["price"] = p
    return d


class _Pipe:
    """One background thread that compresses and writes, in submission order (zlib releases the GIL)."""

    def __init__(self, maxsize: int = 6):
        self.q: queue.Queue = queue.Queue(maxsize=maxsize)
        self.err: BaseException | None = None
        self.t = threading.Thread(target=self._run, name="gcp-export-writer", daemon=True)
        self.t.start()

    def _run(self) -> None:
        while True:
            task = self.q.get()
            if task is None:
                return
            if self.err is None:
                try:
                    task()
                except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
                    self.err = e

    def submit(self, fn: Callable[[], None]) -> None:
        if self.err is not None:
            raise self.err
        self.q.put(fn)

    def close(self) -> None:
        self.q.put(None)
        self.t.join()
        if self.err is not None:
            raise self.err


class _ExtractWriter:
    """One extract folder: rows go to shards of <= shard_rows rows (000000000000.json.gz, ...), written by the pipe."""

    def __init__(self, folder: Path, fmt: str, shard_rows: int, arrow_schema, pipe: _Pipe):
        self.folder = folder
        self.fmt = fmt
        self.shard_rows = shard_rows
        self.schema = arrow_schema
        # each Parquet flush is one row group
        self.flush_at = 2000 if fmt == "json" else min(_PARQUET_ROW_GROUP, shard_rows)
        self.pipe = pipe
        self.shard = -1
        self.in_shard = 0
        self.files = 0
        self.buf: list = []
        self._state: dict[str, Any] = {}
        folder.mkdir(parents=True, exist_ok=True)

    def _open(self) -> None:
        self.shard += 1
        self.files += 1
        self.in_shard = 0
        path = self.folder / (f"{self.shard:012d}" + (".json.gz" if self.fmt == "json" else ".parquet"))
        st = self._state

        if self.fmt == "json":

            def op() -> None:
                # Closed by the shard's close operation, run later on the same writer thread.
                st["fh"] = open(path, "wb")  # noqa: SIM115
                st["z"] = zlib.compressobj(1, zlib.DEFLATED, 31)
        else:
            schema = self.schema

            def op() -> None:
                import pyarrow.parquet as pq

                st["pw"] = pq.ParquetWriter(path, schema, compression="snappy")

        self.pipe.submit(op)

    def _flush(self) -> None:
        if not self.buf:
            return
        buf, self.buf = self.buf, []
        st = self._state
        if self.fmt == "json":

            def op() -> None:
                st["fh"].write(st["z"].compress(b"".join(buf)))
        else:
            import pyarrow as pa

            table = pa.Table.from_pylist(buf, schema=self.schema)

            def op() -> None:
                st["pw"].write_table(table, row_group_size=table.num_rows)

        self.pipe.submit(op)

    def _close_shard(self) -> None:
        self._flush()
        st = self._state
        if self.fmt == "json":

            def op() -> None:
                st["fh"].write(st["z"].flush())
                st["fh"].close()
        else:

            def op() -> None:
                st["pw"].close()

        self.pipe.submit(op)
        self._state = {}

    def add(self, item) -> None:
        if self.in_shard >= self.shard_rows or self.shard < 0:
            if self.shard >= 0:
                self._close_shard()
            self._open()
        self.buf.append(item)
        self.in_shard += 1
        if len(self.buf) >= self.flush_at:
            self._flush()

    def close(self) -> None:
        if self.shard >= 0:
            self._close_shard()


class ExportOutput:
    """The extract writers (one per billing account and export day, plus the partial extracts),
    the ground truth, and the row and file counts."""

    def __init__(self, out_dir: Path, fmt: str, shard_rows: int, arrow_schema, start: date, n_days: int):
        self.out_dir = out_dir
        self.fmt = fmt
        self.shard_rows = shard_rows
        self.arrow_schema = arrow_schema
        self.writers: dict[tuple[int, int], _ExtractWriter] = {}  # (account, export day ordinal) -> writer
        self.partial_writers: dict[int, _ExtractWriter] = {}
        self.extracts: list[str] = []
        self.export_days: set[int] = set()
        self.ground_truth = GroundTruth(out_dir / "ground_truth")
        self.pipe = _Pipe()
        self.rows = 0
        self.partial_rows = 0
        self.files = 0
        self.table_dirs = [TABLE_PREFIX + a["id"].replace("-", "_") for a in ACCOUNTS]
        # partial extracts: one export day per account, mid-window, cut in the early afternoon
        mid = start + timedelta(days=n_days // 2)
        self.partial_day = {a: (mid + timedelta(days=a)) for a in range(len(ACCOUNTS))}
        self.partial_cut = {
            a: utc_midnight_us(self.partial_day[a]) + (13 * 3600 + 47 * 60 + 9 + 600 * a) * 1_000_000
            for a in range(len(ACCOUNTS))
        }
        self.partial_day_ordinal = {a: utc_midnight_us(self.partial_day[a]) // DAY_US for a in range(len(ACCOUNTS))}

    def _new_writer(self, rel: str) -> _ExtractWriter:
        self.extracts.append(rel)
        return _ExtractWriter(self.out_dir / rel, self.fmt, self.shard_rows, self.arrow_schema, self.pipe)

    def writer(self, acct_i: int, day_ordinal: int) -> _ExtractWriter:
        """The complete extract of an export day, taken the next morning."""
        w = self.writers.get((acct_i, day_ordinal))
        if w is None:
            d = date_of_day_ordinal(day_ordinal)
            extracted = d + timedelta(days=1)
            rel = (
                f"{self.table_dirs[acct_i]}/export_date={d.isoformat()}/"
                f"extract={extracted.strftime('%Y%m%d')}T{ACCOUNTS[acct_i]['extract_hms']}Z"
            )
            w = self.writers[(acct_i, day_ordinal)] = self._new_writer(rel)
            self.export_days.add(day_ordinal)
        return w

    def partial_writer(self, acct_i: int) -> _ExtractWriter:
        """The partial extract of the account's partial day, taken at its `partial_cut`."""
        w = self.partial_writers.get(acct_i)
        if w is None:
            d = self.partial_day[acct_i]
            cut = utc_datetime(self.partial_cut[acct_i])
            rel = f"{self.table_dirs[acct_i]}/export_date={d.isoformat()}/extract={cut.strftime('%Y%m%dT%H%M%SZ')}"
            w = self.partial_writers[acct_i] = self._new_writer(rel)
        return w

    def emit(self, acct_i: int, export_day: int, export_us: int, item: Any, ground_truth_row: tuple) -> None:
        """Write one row (see write_usage_rows for the inlined copy of this on the hot path)."""
        self.writer(acct_i, export_day).add(item)
        if export_day == self.partial_day_ordinal[acct_i] and export_us < self.partial_cut[acct_i]:
            self.partial_writer(acct_i).add(item)
            self.partial_rows += 1
        self.ground_truth.add(ground_truth_row)
        self.rows += 1

    def close_through(self, day_ordinal: int) -> None:
        """Close the extracts of export days up to `day_ordinal` (no more rows will go there)."""
        for k in sorted(k for k in self.writers if k[1] <= day_ordinal):
            w = self.writers.pop(k)
            w.close()
            self.files += w.files
        for a in list(self.partial_writers):
            if self.partial_day_ordinal[a] <= day_ordinal:
                w = self.partial_writers.pop(a)
                w.close()
                self.files += w.files
