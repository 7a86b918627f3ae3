"""One writer at a time on the working copy, each waiting its turn.

DuckDB lets one process open a file for writing and refuses a second one at once ("Conflicting
lock is held"). Every process of ours that touches the working copy (an ingestion, the dbt build,
the checks, the freshness readings, the publication) first takes this advisory lock, an
`fcntl.flock` on `<working copy>.lock`, waits for it with backoff up to a limit, and when it gives
up says who holds it and since when. Readers never take it: they open the published file.

The same lock serialises the dbt parse that commands started together would otherwise run at
once over one manifest (orchestration/transform/project.py).

The lock is re-entrant within a thread (a step that holds it may open connections that take it
again), and the kernel releases it when its process dies, however it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path


class WarehouseBusy(RuntimeError):
    """The working copy stayed locked by another process for longer than we wait."""


# (lock file, thread) -> (descriptor, depth): re-entrant for one thread; another thread of the
# same process waits like another process (flock conflicts between separate opens).
_held: dict[tuple[Path, int], tuple[int, int]] = {}
_guard = threading.Lock()


def lock_file(working_copy: Path) -> Path:
    return working_copy.with_name(working_copy.name + ".lock")


@contextlib.contextmanager
def hold(working_copy: Path, purpose: str, wait_seconds: float, subject: str | None = None) -> Iterator[None]:
    """Hold the working copy's lock for `purpose` (shown to whoever waits), waiting up to
    `wait_seconds` for it; raise WarehouseBusy, naming the holder, when it stays taken. Any other
    file one process at a time may write can be held the same way (`subject` names it)."""
    path = lock_file(working_copy)
    subject = subject or f"the working warehouse {working_copy}"
    key = (path, threading.get_ident())
    with _guard:
        if key in _held:
            descriptor, depth = _held[key]
            _held[key] = (descriptor, depth + 1)
            reentered = True
        else:
            reentered = False
    if not reentered:
        descriptor = _acquire(path, subject, purpose, wait_seconds)
        with _guard:
            _held[key] = (descriptor, 1)
    try:
        yield
    finally:
        with _guard:
            descriptor, depth = _held[key]
            if depth > 1:
                _held[key] = (descriptor, depth - 1)
            else:
                del _held[key]
                fcntl.flock(descriptor, fcntl.LOCK_UN)
                os.close(descriptor)


def _acquire(path: Path, subject: str, purpose: str, wait_seconds: float) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    started, delay = time.monotonic(), 0.05
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                holder = _holder(path)
                os.close(descriptor)
                raise WarehouseBusy(
                    f"could not get {subject} for {purpose}: "
                    f"{holder} still holds it after {waited:.0f} s of waiting "
                    "(CHARGEBACK_WAREHOUSE_WAIT_SECONDS sets the wait)"
                ) from None
            time.sleep(min(delay, max(wait_seconds - waited, 0.01)))
            delay = min(delay * 2, 5.0)
    # Who holds it, for whoever waits next: rewritten in place (the lock is on the descriptor).
    os.ftruncate(descriptor, 0)
    os.pwrite(
        descriptor,
        json.dumps(
            {
                "purpose": purpose,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            }
        ).encode(),
        0,
    )
    return descriptor


def _holder(path: Path) -> str:
    try:
        holder = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        holder = {}
    if not holder:
        return "another process"
    where = f"pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('since')}"
    return f"{holder.get('purpose', 'another process')} ({where})"
