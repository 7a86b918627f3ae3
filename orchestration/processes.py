"""Runs that end: a command's child processes end with it, and a run whose process has gone is
marked failed rather than staying STARTED for ever (which would block the schedule and sensor).

- `dbt_executable()`: on Linux, dbt behind bin/dbt_ending_with_parent.py, so a killed
  `chargeback build` (SIGKILL included) does not leave its dbt writing the warehouse.
- `process_tags()`: what the CLI tags each run it executes with: the process id, the host and the
  process's start (so that a reused pid is not taken for the run's process).
- `fail_dead_runs(instance)`: every unfinished run of this host carrying those tags whose process
  is gone, marked failed. The CLI calls it before each job; the freshness schedule and the landing
  sensor before they look at what is running.

Runs the daemon launches carry no such tags: Dagster's run monitoring (dagster.yaml) watches them.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

PID_TAG = "chargeback/pid"
HOST_TAG = "chargeback/host"
PROCESS_START_TAG = "chargeback/process_start"

DBT_ENDING_WITH_PARENT = Path(__file__).with_name("bin") / "dbt_ending_with_parent.py"

# Every status a killed process can leave its run in (none of them ends by itself).
UNFINISHED_STATUSES = (
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)


def dbt_executable() -> str:
    """What DbtCliResource should run as dbt: the wrapper that ends dbt with its parent where it can
    (Linux, the wrapper executable, a python3 on PATH for its shebang), else plain dbt."""
    if (
        sys.platform.startswith("linux")
        and os.access(DBT_ENDING_WITH_PARENT, os.X_OK)
        and shutil.which("python3") is not None
    ):
        return str(DBT_ENDING_WITH_PARENT)
    return "dbt"


def process_tags() -> dict[str, str]:
    """Tags naming this process, for the runs it executes in process."""
    tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
    start = _process_start(os.getpid())
    if start is not None:
        tags[PROCESS_START_TAG] = start
    return tags


def process_is_alive(tags: Mapping[str, str]) -> bool:
    """Whether the process that `process_tags()` named (on this host) still runs."""
    pid = int(tags[PID_TAG])
    if Path("/proc/self/stat").exists():
        start = _process_start(pid)
        return start is not None and tags.get(PROCESS_START_TAG, start) == start
    try:
        os.kill(pid, 0)  # signal 0: no signal, only whether the process exists
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists but is not ours to signal, or we cannot tell: not judged dead
    return True


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed each unfinished run that a process of this host executed and that process is
    gone; return one message per run marked."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(statuses=list(UNFINISHED_STATUSES), tags={HOST_TAG: socket.gethostname()})
    )
    messages = []
    for run in runs:
        if PID_TAG not in run.tags or process_is_alive(run.tags):
            continue
        current = instance.get_run_by_id(run.run_id)
        if current is None or current.status not in UNFINISHED_STATUSES:
            continue  # it ended, or someone else marked it, since the query
        message = (
            f"run {run.run_id} of {run.job_name} was found {current.status.value} with no live process "
            f"(pid {run.tags[PID_TAG]}); marked failed"
        )
        instance.report_run_failed(current, message)
        messages.append(message)
    return messages


def _process_start(pid: int) -> str | None:
    """When process `pid` started, as `<boot id>:<clock ticks since boot>` (Linux); None when no
    such process runs (a zombie has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which is in parentheses and may hold spaces: state is the
    # first of them, starttime (field 22 of proc(5)) the 20th.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return f"{_boot_id()}:{fields[19]}"


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""
