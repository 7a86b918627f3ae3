"""Tests of the GCP detailed-usage-cost export generator (orchestration/generate/gcp/)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orchestration.generate.gcp import (
    TABLE_PREFIX,
    generate_gcp_export,
    line_item_id,
    line_item_key_string,
)
from orchestration.ingestion import gcp_schema
from orchestration.settings import PROJECT_ROOT

ROWS = 6000
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{0,5}[1-9])? UTC$")
HOUR_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:00:00 UTC$")
NUM_RE = re.compile(r"^-?\d+(\.\d+)?$")
EXTRACT_RE = re.compile(
    r"^gcp_billing_export_resource_v1_[0-9A-F]{6}_[0-9A-F]{6}_[0-9A-F]{6}/export_date=\d{4}-\d{2}-\d{2}/extract=\d{8}T\d{6}Z$"
)
# The generator's teams are the team directory's (seeds/teams.csv), so its labels can resolve.
TEAMS = {row["team"] for row in csv.DictReader((PROJECT_ROOT / "seeds" / "teams.csv").open())}


def _read_json_extract(folder: Path) -> list[dict]:
    rows = []
    for f in sorted(folder.glob("*.json.gz")):
        with gzip.open(f, "rb") as fh:
            for line in fh:
                rows.append(json.loads(line))
    return rows


def _raw_lines(folder: Path) -> list[bytes]:
    out = []
    for f in sorted(folder.glob("*.json.gz")):
        with gzip.open(f, "rb") as fh:
            out.extend(fh.read().splitlines())
    return out


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    out = tmp_path_factory.mktemp("gcp_json")
    summary = generate_gcp_export(out, ROWS, seed=7, shard_rows=400)
    return out, summary


@pytest.fixture(scope="module")
def extracts(gen):
    out, summary = gen
    return {rel: _read_json_extract(out / rel) for rel in summary.extracts}


def _complete(summary) -> list[str]:
    """The extract folders that survive 'replace per account + export day' in load order."""
    last = {}
    for rel in summary.extracts:  # already in folder-name (load) order
        last[rel.rsplit("/", 1)[0]] = rel
    return sorted(last.values())


def test_layout_and_manifest(gen):
    out, s = gen
    assert list(s.extracts) == sorted(s.extracts)
    for rel in s.extracts:
        assert EXTRACT_RE.match(rel), rel
        shards = sorted(p.name for p in (out / rel).iterdir())
        assert shards == [f"{i:012d}.json.gz" for i in range(len(shards))]
    tables = sorted(p.name for p in out.iterdir() if p.name.startswith(TABLE_PREFIX))
    assert tables == sorted(TABLE_PREFIX + a.replace("-", "_") for a in s.billing_accounts)
    assert len(s.billing_accounts) == 2
    assert sorted(p.name for p in (out / "ground_truth").iterdir())[0] == "part-00000.parquet"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"] == s.rows and manifest["extracts"] == list(s.extracts)
    assert s.files == sum(len(list((out / rel).iterdir())) for rel in s.extracts)
    # shard_rows respected
    for rel in s.extracts:
        for f in (out / rel).iterdir():
            with gzip.open(f, "rb") as fh:
                assert len(fh.read().splitlines()) <= 400


def test_row_count(gen, extracts):
    _, s = gen
    assert abs(s.rows - ROWS) <= ROWS * 0.01
    complete = _complete(s)
    assert sum(len(extracts[r]) for r in complete) == s.rows
    assert sum(len(v) for v in extracts.values()) == s.rows_written == s.rows + s.partial_rows
    assert s.partial_rows > 0


def _check_fields(value, fields: list[dict], path: str) -> None:
    by_name = {f["name"]: f for f in fields}
    assert isinstance(value, dict), path
    for k, v in value.items():
        assert k in by_name, f"{path}.{k} not in schema"
        f = by_name[k]
        assert v is not None, f"{path}.{k} written as null"
        if f.get("mode") == "REPEATED":
            assert isinstance(v, list), f"{path}.{k}"
            items = v
        else:
            items = [v]
        for item in items:
            t = f["type"]
            if t == "RECORD":
                _check_fields(item, f["fields"], f"{path}.{k}")
            elif t == "STRING":
                assert isinstance(item, str), f"{path}.{k}"
            elif t == "FLOAT":
                assert isinstance(item, (int, float)) and not isinstance(item, bool), f"{path}.{k}"
            elif t == "NUMERIC":
                assert isinstance(item, str) and NUM_RE.match(item), f"{path}.{k}={item!r}"
            elif t == "BOOLEAN":
                assert isinstance(item, bool), f"{path}.{k}"
            elif t == "TIMESTAMP":
                assert isinstance(item, str) and TS_RE.match(item), f"{path}.{k}={item!r}"
            else:  # pragma: no cover
                raise AssertionError(t)


def test_rows_validate_against_schema(gen, extracts):
    schema = gcp_schema.fields()
    assert len(schema) == 28
    cost_types = set()
    for rows in extracts.values():
        for r in rows:
            _check_fields(r, schema, "row")
            assert HOUR_RE.match(r["usage_start_time"]) and HOUR_RE.match(r["usage_end_time"])
            assert r["cost_at_list"] >= r["cost"]
            assert json.dumps(r["cost"]) != "-0.0"
            cr = sum(c["amount"] for c in r.get("credits", []))
            assert cr <= 0 and (cr == 0 or -cr < r["cost"])
            assert re.match(r"^\d{6}$", r["invoice"]["month"])
            cost_types.add(r["cost_type"])
            if r["cost_type"] == "adjustment":
                assert set(r["adjustment_info"]) == {"id", "description", "mode", "type"}
    assert {"regular", "tax"} <= cost_types


def test_bigquery_json_quirks(gen):
    out, s = gen
    raw = b"\n".join(b"\n".join(_raw_lines(out / rel)) for rel in s.extracts[:40])
    assert b"null" not in raw
    assert b"<" not in raw and b">" not in raw and b"&" not in raw
    assert b"\\u0026" in b"\n".join(b"\n".join(_raw_lines(out / rel)) for rel in s.extracts)  # 'T&S' team label
    assert re.search(rb'"export_time":"[^"]+\.\d+ UTC"', raw)
    assert re.search(rb'"effective_price":"[0-9.]+"', raw)


def test_ground_truth_covers_every_row_once(gen, extracts):
    out, s = gen
    gt = pq.read_table(out / "ground_truth").to_pylist()
    ids = [g["line_item_id"] for g in gt]
    assert len(ids) == len(set(ids)) == s.rows
    export_ids = [line_item_id(r) for rel in _complete(s) for r in extracts[rel]]
    assert len(export_ids) == len(set(export_ids))
    assert set(export_ids) == set(ids)
    assert {g["true_team"] for g in gt} <= TEAMS | {"shared"}
    assert {g["true_team"] for g in gt} >= TEAMS | {"shared"} - {"analytics"}
    assert {g["true_phase"] for g in gt} == {
        "data_preparation",
        "training",
        "fine_tuning",
        "inference",
        "experimentation",
        "non_ai",
    }


def test_line_item_key_string_format():
    row = {
        "billing_account_id": "A-B-C",
        "service": {"id": "S"},
        "sku": {"id": "K"},
        "usage_start_time": "2026-07-01 13:00:00 UTC",
        "usage_end_time": "2026-07-01 14:00:00 UTC",
        "export_time": "2026-07-01 18:02:11.1 UTC",
        "cost_type": "regular",
        "cost": 1.5,
        "usage": {"amount": 3600.0},
        "location": {"location": "us-central1"},
    }
    key = line_item_key_string(row)
    # timestamps as microseconds since the epoch: 2026-07-01 13:00:00 UTC = 1782910800 s
    assert key == (
        "A-B-C|S|K|||us-central1|1782910800000000|1782914400000000|1782928931100000|regular||1.500000000|3600.000000000"
    )
    assert line_item_id(row) == hashlib.md5(key.encode()).hexdigest()


def test_cost_sums_match_ground_truth(gen, extracts):
    out, s = gen
    gt = pq.read_table(out / "ground_truth").to_pylist()
    a = defaultdict(Decimal)
    b = defaultdict(Decimal)
    for g in gt:
        a[(g["billing_account_id"], g["invoice_month"])] += Decimal(repr(g["cost"]))
    for rel in _complete(s):
        for r in extracts[rel]:
            b[(r["billing_account_id"], r["invoice"]["month"])] += Decimal(repr(r["cost"]))
    assert a == b
    assert {m for _, m in a} >= {"202607", "202608", "202609"}
    currencies = {g["billing_account_id"]: g["currency"] for g in gt}
    assert sorted(currencies.values()) == ["EUR", "USD"]


def test_partial_extract_is_subset_of_complete(gen, extracts):
    _, s = gen
    by_day = defaultdict(list)
    for rel in s.extracts:
        by_day[rel.rsplit("/", 1)[0]].append(rel)
    twice = {k: v for k, v in by_day.items() if len(v) > 1}
    assert len(twice) == 2  # one export day per billing account
    for day, (partial, complete) in twice.items():
        p = {line_item_id(r) for r in extracts[partial]}
        c = {line_item_id(r) for r in extracts[complete]}
        assert p and p <= c
        if "B81D05" in day:  # the main account has rows after the cut-off
            assert p < c
        cut = partial.rsplit("=", 1)[1]
        assert cut[:8] == day.rsplit("=", 1)[1].replace("-", "")  # taken on the export day itself
        latest = max(r["export_time"] for r in extracts[partial])
        assert latest.replace("-", "").replace(":", "").replace(" ", "T")[:15] < cut[:15]


def test_every_row_in_its_export_day(gen, extracts):
    for rel, rows in extracts.items():
        day = rel.split("export_date=")[1][:10]
        for r in rows:
            assert r["export_time"][:10] == day


def test_late_rows_land_in_later_export_day(gen, extracts):
    _, s = gen
    late = 0
    total = 0
    for rel in _complete(s):
        for r in extracts[rel]:
            if r["cost_type"] != "regular" or "usage" not in r or r["service"]["description"] == "Support":
                continue
            total += 1
            if (
                date.fromisoformat(r["export_time"][:10]) >= date.fromisoformat(r["usage_start_time"][:10]).replace()
                and (date.fromisoformat(r["export_time"][:10]) - date.fromisoformat(r["usage_start_time"][:10])).days
                >= 2
            ):
                late += 1
    assert 0.005 < late / total < 0.05


def test_label_noise_present(gen, extracts):
    keys = set()
    values = set()
    ns = set()
    for rows in extracts.values():
        for r in rows:
            for lab in r.get("labels", []):
                keys.add(lab["key"])
                if lab["key"].strip().lower().replace("-", "_") in ("team", "owner_team", "cost_center", "squad"):
                    values.add(lab["value"])
                if lab["key"] == "k8s-namespace":
                    ns.add(lab["value"])
    assert "team" in keys and keys & {"Team", " team ", "owner-team", "Cost-Center", "TEAM", "Owner_Team"}
    assert values & {"Foundation Models", "foundation_models", " fm ", "fundation-models", "FM"}
    assert values - TEAMS  # variants and typos
    assert "goog-k8s-cluster-name" in keys and {"applied-ml", "team-search"} <= ns
    assert keys & {"workload_phase", "phase", "ml-phase", "Workload-Phase", "ai_phase", "Phase"}


def test_deterministic(tmp_path):
    a = generate_gcp_export(tmp_path / "a", 1500, seed=3, months=1)
    b = generate_gcp_export(tmp_path / "b", 1500, seed=3, months=1)
    c = generate_gcp_export(tmp_path / "c", 1500, seed=4, months=1)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    for f in files_a:
        if f.name == "manifest.json":
            continue
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert a.rows == b.rows
    ids = lambda p: set(pq.read_table(p / "ground_truth").column("line_item_id").to_pylist())  # noqa: E731
    assert ids(tmp_path / "a") != ids(tmp_path / "c")
    assert c.rows > 0


def test_parquet_writes_same_rows(tmp_path):
    js = generate_gcp_export(tmp_path / "j", 1500, seed=5, months=1, fmt="json")
    pa_ = generate_gcp_export(tmp_path / "p", 1500, seed=5, months=1, fmt="parquet")
    assert js.rows == pa_.rows and list(js.extracts) == list(pa_.extracts)
    gt_j = pq.read_table(tmp_path / "j" / "ground_truth").to_pylist()
    gt_p = pq.read_table(tmp_path / "p" / "ground_truth").to_pylist()
    assert gt_j == gt_p
    rel = js.extracts[len(js.extracts) // 2]
    jrows = _read_json_extract(tmp_path / "j" / rel)
    prows = pq.read_table(tmp_path / "p" / rel).to_pylist()
    assert len(jrows) == len(prows)
    ptab = pq.read_table(tmp_path / "p" / rel)
    assert ptab.schema.field("price").type.field("effective_price").type.precision == 38
    assert str(ptab.schema.field("export_time").type) == "timestamp[us, tz=UTC]"
    for jr, pr in zip(jrows, prows, strict=True):
        assert jr["cost"] == pr["cost"]
        assert jr["sku"] == pr["sku"]
        assert line_item_id(jr) == line_item_id(pr)
        if "price" in jr:
            assert Decimal(jr["price"]["effective_price"]) == pr["price"]["effective_price"]


# ------------------------------------------------------------------------------ incidents
INCIDENT_START, INCIDENT_MONTHS = date(2026, 7, 1), 3


@pytest.fixture(scope="module")
def with_incidents(tmp_path_factory):
    out = tmp_path_factory.mktemp("gcp_incidents")
    summary = generate_gcp_export(out, ROWS, seed=7, shard_rows=400, incidents=True)
    return out, summary


def _ground_truth_rows(out: Path) -> dict[str, tuple]:
    table = [r for f in sorted((out / "ground_truth").glob("*.parquet")) for r in pq.read_table(f).to_pylist()]
    return {r["line_item_id"]: r for r in table}


def test_incidents_off_by_default_and_the_export_before_them_unchanged(gen, with_incidents):
    """Off by default (no truth file, no extra rows); on, the extracts exported before the first
    incident's day are byte for byte those of the export without incidents: the incidents add
    rows, they do not move the others before them."""
    out, summary = gen
    inc_out, inc_summary = with_incidents
    assert summary.incidents == 0 and not (out / "ground_truth" / "incidents.json").exists()
    truth = json.loads((inc_out / "ground_truth" / "incidents.json").read_text())
    first_incident_day = min(i["first_day"] for i in truth)
    before = [rel for rel in summary.extracts if rel.split("export_date=")[1][:10] < first_incident_day]
    assert len(before) > 20
    assert [rel for rel in inc_summary.extracts if rel in set(before)] == before
    for rel in before:
        files = sorted(f.name for f in (out / rel).iterdir())
        assert files == sorted(f.name for f in (inc_out / rel).iterdir()), rel
        for name in files:
            assert (inc_out / rel / name).read_bytes() == (out / rel / name).read_bytes(), (rel, name)


def test_incidents_truth_is_written_inside_the_window(with_incidents):
    out, summary = with_incidents
    truth = json.loads((out / "ground_truth" / "incidents.json").read_text())
    assert summary.incidents == len(truth) == 4
    assert {i["kind"] for i in truth} == {
        "idle_training_vm",
        "endpoint_scale_out",
        "token_retry_loop",
        "runaway_bigquery_scan",
    }
    start, end = INCIDENT_START, date(2026, 10, 1)
    for incident in truth:
        first, last = date.fromisoformat(incident["first_day"]), date.fromisoformat(incident["last_day"])
        assert start <= first <= last <= end, incident
        assert (first - start).days >= 28, "four weeks of history before each incident"
        assert incident["team"] in TEAMS and incident["total_extra_cost"] > 0
        by_day = incident["extra_cost_by_day"]
        assert min(by_day) == incident["first_day"] and max(by_day) == incident["last_day"]
        assert sum(by_day.values()) == pytest.approx(incident["total_extra_cost"], abs=1e-4)
    ongoing = next(i for i in truth if i["kind"] == "endpoint_scale_out")
    assert ongoing["last_day"] >= "2026-09-30", "the scale-out is still going on at the end"
    # the same seed places them the same way
    assert json.loads((out / "ground_truth" / "incidents.json").read_text()) == truth


def test_incident_rows_are_export_rows_with_truth_that_adds_up(with_incidents, gen):
    """The extra rows are ordinary rows of the incident's resource and SKUs: unique line_item_ids,
    a ground truth row each, and the rows' cost over the incident days grows by the truth's amount."""
    out, summary = with_incidents
    base_out, base_summary = gen
    truth = json.loads((out / "ground_truth" / "incidents.json").read_text())
    rows = [r for rel in _complete(summary) for r in _read_json_extract(out / rel)]
    ids = [line_item_id(r) for r in rows]
    assert len(ids) == len(set(ids)) == summary.rows
    assert set(ids) == set(_ground_truth_rows(out))
    assert summary.rows > base_summary.rows  # the incidents' rows come on top
    truth_by_id = _ground_truth_rows(out)
    for incident in truth:
        days = set(incident["extra_cost_by_day"])

        def cost_of(r, incident=incident, days=days):
            resource = (r.get("resource") or {}).get("global_name")
            return (
                (r.get("project") or {}).get("id") == incident["project"]
                and resource == incident["resource_id"]
                and r["sku"]["description"] in incident["skus"]
                and r["usage_start_time"][:10] in days
                and r["cost_type"] == "regular"
            )

        matching = [r for r in rows if cost_of(r)]
        assert matching, incident["kind"]
        for r in matching:
            t = truth_by_id[line_item_id(r)]
            assert (t["true_team"], t["true_phase"]) == (incident["team"], incident["workload_phase"])
        with_extra = sum(r["cost"] + sum(c["amount"] for c in r.get("credits", [])) for r in matching)
        # the incident's rows are among these (with the line's usual rows of those days)
        assert with_extra >= incident["total_extra_cost"] - 0.01
