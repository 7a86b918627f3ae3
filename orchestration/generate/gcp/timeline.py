"""The export's clock: usage days, export batches and invoice months.

Times are integers, microseconds since the epoch (UTC). Invoice months follow Pacific time,
computed here without tzdata. Usage runs over whole Pacific days; rows are exported in
batches, one per UTC hour (`export_batches`), 1-6 h after their usage or, for late rows,
2-5 days after it, when they may go on the next month's invoice (`late_invoice_month`).
"""

from __future__ import annotations

import bisect
import math
import random
from datetime import UTC, date, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US


def epoch_us(dt: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (dt - _EPOCH) // timedelta(microseconds=1)


def utc_datetime(us: int) -> datetime:
    """The aware UTC datetime of microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=us)


def bigquery_timestamp(us: int) -> str:
    """A TIMESTAMP as BigQuery's JSON extract writes it ('2026-07-01 07:00:00.25 UTC')."""
    secs, frac = divmod(us, 1_000_000)
    s = (_EPOCH + timedelta(seconds=secs)).strftime("%Y-%m-%d %H:%M:%S")
    if frac:
        s += "." + f"{frac:06d}".rstrip("0")
    return s + " UTC"


def key_timestamp(us: int) -> str:
    """A timestamp as the line item key holds it: microseconds since the epoch (cheap in SQL, exact)."""
    return str(us)


def _nth_sunday(year: int, month: int, n: int) -> date:
    d = date(year, month, 1)
    d += timedelta(days=(6 - d.weekday()) % 7)
    return d + timedelta(weeks=n - 1)


def _pacific_offset_h(us: int) -> int:
    """UTC offset of America/Los_Angeles (US rule since 2007), without tzdata."""
    t = utc_datetime(us)
    y = t.year
    # DST: 02:00 PST on the 2nd Sunday of March (10:00 UTC) to 02:00 PDT on the 1st Sunday of November (09:00 UTC)
    start = datetime.combine(_nth_sunday(y, 3, 2), datetime.min.time(), UTC) + timedelta(hours=10)
    end = datetime.combine(_nth_sunday(y, 11, 1), datetime.min.time(), UTC) + timedelta(hours=9)
    return -7 if start <= t < end else -8


def pacific_time(us: int) -> datetime:
    """Wall-clock time in America/Los_Angeles (the fields are Pacific; the tzinfo still says UTC)."""
    return utc_datetime(us + _pacific_offset_h(us) * HOUR_US)


def utc_midnight_us(d: date) -> int:
    """UTC midnight of `d`, in microseconds since the epoch."""
    return epoch_us(datetime.combine(d, datetime.min.time(), UTC))


def pacific_midnight_us(d: date) -> int:
    """Pacific midnight of `d`, in microseconds since the epoch."""
    utc_midnight = utc_midnight_us(d)
    # the offset in force at 08:00 UTC is the one at Pacific midnight (DST switches at 02:00 local)
    return utc_midnight - _pacific_offset_h(utc_midnight + 8 * HOUR_US) * HOUR_US


def add_months(d: date, n: int) -> date:
    """The first day of the month `n` months after `d`'s."""
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def date_of_day_ordinal(day_ordinal: int) -> date:
    """The UTC date of a day number counted from the epoch (us // DAY_US)."""
    return date(1970, 1, 1) + timedelta(days=day_ordinal)


def live_window(as_of: date, months: int) -> tuple[date, date]:
    """The usage window of an export seen on `as_of`: the `months` whole months before as_of's
    month, then as_of's month through the day before as_of (start inclusive, end exclusive)."""
    return add_months(as_of.replace(day=1), -months), as_of


def usage_window_end(start: date, months: int) -> date:
    """Exclusive end day of the usage window."""
    if start.day == 1:
        return add_months(date(start.year, start.month, 1), months)
    return add_months(start, months).replace(day=start.day)


def utc_day_weights(win_lo: int, win_hi: int) -> tuple[list[date], list[float]]:
    """The UTC days that overlap the usage window and the share of the rows each one gets:
    the overlapped fraction of the day, fewer rows at weekends, +25 % growth over the window and
    a little day-to-day wobble."""
    first = utc_datetime(win_lo).date()
    last = utc_datetime(win_hi - 1).date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    weights = []
    for i, d in enumerate(days):
        lo = max(win_lo, utc_midnight_us(d))
        hi = min(win_hi, utc_midnight_us(d) + DAY_US)
        frac = (hi - lo) / DAY_US
        weekend = 0.78 if d.weekday() >= 5 else 1.0
        growth = 1.0 + 0.25 * i / max(1, len(days) - 1)
        weights.append(frac * weekend * growth * (1.0 + 0.06 * math.sin(i * 1.7)))
    return days, weights


def export_batches(seed: int, first_day: date, last_day: date) -> list[int]:
    """Export times (us, sorted): one batch in each UTC hour, until 8 days after the window.

    Most have microseconds, some only milliseconds, a few whole seconds, as in real extracts."""
    batch_rng = random.Random(seed * 31 + 5)
    batch_us: list[int] = []
    d = first_day
    while d <= last_day + timedelta(days=8):
        base = utc_midnight_us(d)
        for h in range(24):
            r = batch_rng.random()
            micros = (
                batch_rng.randrange(1_000_000) if r < 0.85 else (batch_rng.randrange(1000) * 1000 if r < 0.97 else 0)
            )
            batch_us.append(
                base + h * HOUR_US + batch_rng.randrange(60) * 60_000_000 + batch_rng.randrange(60) * 1_000_000 + micros
            )
        d += timedelta(days=1)
    batch_us.sort()
    return batch_us


def late_invoice_month(usage_month: str, export_us: int) -> str:
    """A row exported on or after day 4 (Pacific) of a later month goes on that month's invoice."""
    p = pacific_time(export_us)
    export_month = f"{p.year:04d}{p.month:02d}"
    if export_month > usage_month and p.day >= 4:
        return export_month
    return usage_month


class Timeline:
    """Export batches and usage hours, with their timestamps pre-formatted (BigQuery strings,
    line-item-key strings, datetimes for parquet) and the Pacific invoice month of every hour."""

    def __init__(
        self, batch_us: list[int], first_hour: int, end_hour: int, parquet: bool, exported_before_us: int | None = None
    ):
        self.batch_us = batch_us
        self.n_batches = len(batch_us)
        # batches before this index have been exported; a row of a later batch is not there yet
        # (the live clock: the export as it stood at `exported_before_us`)
        self.n_exported = self.n_batches if exported_before_us is None else self.first_batch_at(exported_before_us)
        self.batch_day = [(u // DAY_US) for u in batch_us]
        # formatted on first use (export_ts)
        self.batch_ts: list[str | None] = [None] * self.n_batches
        self.batch_key: list[str | None] = [None] * self.n_batches
        # usage hours: the window plus a margin
        self.hour_ts = {h: bigquery_timestamp(h * HOUR_US) for h in range(first_hour, end_hour + 1 + 48)}
        self.hour_dt = {h: utc_datetime(h * HOUR_US) for h in self.hour_ts} if parquet else {}
        self.hour_month: dict[int, str] = {}
        for h in self.hour_ts:
            p = pacific_time(h * HOUR_US)
            self.hour_month[h] = f"{p.year:04d}{p.month:02d}"
        # "usage_start|usage_end|" part of the line item key of an hourly row
        hk = {h: key_timestamp(h * HOUR_US) for h in self.hour_ts}
        self.hour_pair_key = {h: f"{hk[h]}|{hk[h + 1]}|" for h in hk if h + 1 in hk}
        self.invoices: dict[str, dict[str, str]] = {}

    def export_ts(self, i: int) -> str:
        """BigQuery string of batch `i`'s export time (and fills its key string)."""
        s = self.batch_ts[i]
        if s is None:
            s = self.batch_ts[i] = bigquery_timestamp(self.batch_us[i])
            self.batch_key[i] = key_timestamp(self.batch_us[i])
        return s

    def invoice(self, month: str) -> dict[str, str]:
        """The (shared) `invoice` record of a month."""
        v = self.invoices.get(month)
        if v is None:
            v = self.invoices[month] = {"month": month, "publisher_type": "GOOGLE"}
        return v

    def first_batch_at(self, us: int) -> int:
        """Index of the first export batch at or after `us` (== n_batches if none)."""
        return bisect.bisect_left(self.batch_us, us)
