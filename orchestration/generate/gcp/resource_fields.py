"""What a resource's lines carry besides their usage: stable GCP-style ids, the resource's
`resource.global_name`, the `location` record of a SKU's rows, and the credits a row may get."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from orchestration.generate.gcp.organisation import ACCOUNTS
from orchestration.generate.gcp.skus import MACHINE_SPECS


def hexid(*parts: str, groups: int = 3) -> str:
    """A stable GCP-style id ('ABCD-EF01-2345') derived from `parts`."""
    h = hashlib.md5("/".join(parts).encode()).hexdigest().upper()
    return "-".join(h[i * 4 : (i + 1) * 4] for i in range(groups))


def subscription_id(pid: str, rid: str) -> str:
    """A stable UUID-like id of a spend-based commitment subscription."""
    return (
        "subscriptions/"
        + hexid("sub", pid, rid, groups=4).lower().replace("-", "")[:8]
        + "-"
        + hexid("sub2", rid, groups=1).lower()
        + "-"
        + hexid("sub3", rid, groups=1).lower()
        + "-"
        + hexid("sub4", rid, groups=1).lower()
        + "-"
        + hexid("sub5", rid, groups=3).lower().replace("-", "")
    )


def resource_global_name(
    kind: str, pid: str, number: str, region: str, zone: str, name: str | None, rid: str, gke: tuple | None
) -> tuple[str | None, str, str | None]:
    """(resource name, zone, resource.global_name) of a resource; GKE nodes override name and zone."""
    if gke is not None:
        if kind == "gke_autopilot":
            name = "ml-shared-gke-usc1"
            return name, zone, f"//container.googleapis.com/projects/{pid}/locations/{region}/clusters/{name}"
        # nodes are shared by namespaces: same node -> same global_name
        node_i = gke[2] % 3 if kind == "gke_node_l4" else gke[2] % 2
        pool = "gpu-l4" if kind == "gke_node_l4" else "gpu-a100"
        name = f"gke-ml-shared-gke-usc-{pool}-pool-{hexid(kind, str(node_i), groups=2).lower().replace('-', '')}"
        zone = region + "-a"
        instance_id = int(hexid(name, groups=4).replace("-", ""), 16) % 10**19
        return name, zone, f"//compute.googleapis.com/projects/{pid}/zones/{zone}/instances/{instance_id}"
    if kind == "gke_cluster":
        gname = f"//container.googleapis.com/projects/{pid}/locations/{region}/clusters/{name}"
    elif kind in MACHINE_SPECS:
        gname = f"//compute.googleapis.com/projects/{pid}/zones/{zone}/instances/{rid}"
    elif kind.startswith("vx_train") or kind == "vx_tuning":
        gname = f"//aiplatform.googleapis.com/projects/{number}/locations/{region}/customJobs/{rid[:16]}"
    elif kind.startswith("vx_endpoint") or kind == "vx_batch":
        coll = "endpoints" if kind != "vx_batch" else "batchPredictionJobs"
        gname = f"//aiplatform.googleapis.com/projects/{number}/locations/{region}/{coll}/{rid[:16]}"
    elif kind == "workbench":
        gname = f"//notebooks.googleapis.com/projects/{pid}/locations/{zone}/instances/{name}"
    elif kind.startswith("gcs"):
        gname = f"//storage.googleapis.com/projects/_/buckets/{name}"
    elif kind == "bq_dataset":
        gname = f"//bigquery.googleapis.com/projects/{pid}/datasets/{name}"
    elif kind == "dataflow_job":
        gname = f"//dataflow.googleapis.com/projects/{pid}/locations/{region}/jobs/{name}"
    elif kind == "lb":
        gname = f"//compute.googleapis.com/projects/{pid}/global/forwardingRules/{name}"
    else:  # gemini_api, egress, logging, monitoring: no resource
        gname = None
    return name, zone, gname


def sku_location(sku_key: str, svc_key: str, kind: str, acct: dict[str, Any], region: str, zone: str) -> dict:
    """The `location` record of a SKU's rows."""
    if sku_key.startswith("gem_"):
        return {"location": "global"}
    if sku_key == "gcs_multi":
        return {"location": acct["mr"].lower(), "country": acct["country"]}
    if svc_key in ("net", "logging", "monitoring") and kind != "lb":
        return {"location": region, "country": acct["country"], "region": region}
    if kind in MACHINE_SPECS or kind == "workbench":
        return {"location": zone, "country": acct["country"], "region": region, "zone": zone}
    return {"location": region, "country": acct["country"], "region": region}


def credit_rules(
    rng: random.Random,
    sku_key: str,
    svc_key: str,
    acct_i: int,
    region: str,
    cud: bool,
    contract_discount: bool,
    subscription: str | None,
    gke: tuple | None,
) -> list[tuple]:
    """Credits a row of this SKU may get: (type, name, id, full_name, probability, low, high fraction)."""
    acct_id = ACCOUNTS[acct_i]["id"]
    rules = []
    if sku_key.startswith("gpu_") and cud and acct_i == 0 and gke is None:
        rules.append(
            (
                "COMMITTED_USAGE_DISCOUNT",
                "Committed use discount: GPU",
                "CommittedUsageDiscountGpu",
                f"GPU commitment in {region} for 1 year",
                0.9,
                0.37,
                0.37,
            )
        )
    if sku_key in ("a3_core", "a2_core", "g2_core") and cud and acct_i == 0:
        rules.append(
            (
                "COMMITTED_USAGE_DISCOUNT",
                "Committed use discount: CPU",
                "CommittedUsageDiscountCpu",
                f"CPU commitment in {region} for 1 year",
                0.9,
                0.37,
                0.37,
            )
        )
    if sku_key in ("n1_core", "n1_ram"):
        rules.append(
            (
                "SUSTAINED_USAGE_DISCOUNT",
                "Sustained Usage Discount",
                "SustainedUsageDiscount",
                "Sustained Usage Discount",
                0.7,
                0.1,
                0.3,
            )
        )
    if svc_key == "vertex" and rng.random() < 0.35:
        rules.append(
            (
                "PROMOTION",
                "Gemini and Vertex AI launch credit",
                "PROMO-" + hexid("promo", acct_id, groups=2),
                "Vertex AI startup program credit",
                0.5,
                0.05,
                0.6,
            )
        )
    if subscription and "core" in sku_key:
        rules.append(
            (
                "FEE_UTILIZATION_OFFSET",
                "Spend-based CUD fee utilization offset",
                "FeeUtilizationOffset",
                "Compute Flexible CUDs 1 Year fee offset",
                0.8,
                0.2,
                0.28,
            )
        )
    if contract_discount and svc_key in ("bq", "gcs", "dataflow", "logging"):
        rules.append(
            (
                "DISCOUNT",
                "Contractual discount",
                "ContractualDiscount-" + acct_id[:6],
                "Enterprise agreement discount",
                1.0,
                0.05,
                0.05,
            )
        )
    return rules
