"""Watch the landing folder and ingest each new or changed extract once."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from orchestration.ingestion.assets import ingestion_run_config
from orchestration.ingestion.gcp_loader import discover_extracts
from orchestration.jobs import INGEST_JOB
from orchestration.resources import LandingFolder


def extract_fingerprint(files) -> str:
    """Changes when a file of the extract is added, removed, rewritten or resized."""
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(
    name="gcp_landing_folder_sensor",
    job_name=INGEST_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Ingests each new or changed GCP export extract (a folder of shard files) that lands in the "
    "landing folder (CHARGEBACK_LANDING_DIR).",
)
def gcp_landing_folder_sensor(context: dg.SensorEvaluationContext, landing_folder: LandingFolder):
    landing_dir = Path(landing_folder.path)
    if not landing_dir.exists():
        return dg.SkipReason(f"landing folder {landing_dir} does not exist")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    requests = []
    # discover_extracts returns extracts in load order, so a partial extract of a day is
    # requested before its complete re-extract.
    for files in discover_extracts([landing_dir]):
        extract = str(files[0].parent)
        fingerprint = extract_fingerprint(files)
        if seen.get(extract) == fingerprint:
            continue
        seen[extract] = fingerprint
        requests.append(dg.RunRequest(run_key=fingerprint, run_config=ingestion_run_config([str(f) for f in files])))
    if not requests:
        return dg.SkipReason("no new extracts")
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))
