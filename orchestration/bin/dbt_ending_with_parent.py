#!/usr/bin/env python3
"""dbt that ends when the process that started it ends, however it ends (Linux).

dagster-dbt starts dbt with subprocess.Popen and offers no hook to run in the child before dbt.
This script is its `dbt_executable` (orchestration/processes.py): it asks the kernel to SIGKILL
it when its parent thread ends (PR_SET_PDEATHSIG, which survives exec), then becomes the real dbt.
So a `chargeback build` killed with SIGKILL takes its dbt with it instead of leaving dbt writing
the warehouse. The standard library only: it runs under whichever python3 is on PATH and finds
dbt on PATH, as dagster-dbt would. Elsewhere than Linux it only becomes dbt.
"""

import ctypes
import os
import shutil
import signal
import sys

PR_SET_PDEATHSIG = 1


def main() -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            sys.exit(f"dbt_ending_with_parent: prctl(PR_SET_PDEATHSIG) failed: {os.strerror(ctypes.get_errno())}")
        # A parent that ended before the request sends no signal: then this process has been
        # handed to init (or a subreaper), so its parent is no longer the one it started with.
        if parent == 1 or os.getppid() != parent:
            sys.exit("dbt_ending_with_parent: the process that started dbt has ended; not starting dbt")
    dbt = shutil.which("dbt")
    if dbt is None:
        sys.exit("dbt_ending_with_parent: no dbt on PATH")
    os.execv(dbt, [dbt, *sys.argv[1:]])


if __name__ == "__main__":
    main()
