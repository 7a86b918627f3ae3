"""The company of a seed and scale: its projects (folder ancestry, project labels), its resources
and one line template per (resource, SKU) holding everything constant on that line's rows,
pre-encoded, so the hot loop only adds the per-row fields.

`scale` multiplies the resource counts of the SPECS that scale (more rows, more resources).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from orchestration.generate.gcp.labels import (
    TEAM_VARIANTS,
    assign_team_labels,
    gke_labels,
    label_records,
    project_env,
    resource_labels,
)
from orchestration.generate.gcp.organisation import (
    ACCOUNTS,
    DEPARTMENTS,
    GKE_NAMESPACES,
    NET_HOST,
    ORG_NAME,
    ORG_NUMBER,
    PEOPLE,
    PROJECTS,
    SANDBOX,
    SHARED_GKE,
    SPECS,
    TEAMS,
)
from orchestration.generate.gcp.resource_fields import (
    credit_rules,
    hexid,
    resource_global_name,
    sku_location,
    subscription_id,
)
from orchestration.generate.gcp.skus import (
    CONSUMPTION_MODEL,
    GIB,
    KINDS,
    MACHINE_SPECS,
    SERVICES,
    SKUS,
    UNITS,
)
from orchestration.generate.gcp.writers import encode_prefix


def _num_str(x: float) -> str:
    """A price as the export's `price` record writes it: a string, at most nine decimals."""
    s = f"{x:.9f}".rstrip("0").rstrip(".")
    return s or "0"


# How the usage amount of an hourly row is drawn (see write_usage_rows)
USAGE_RUNNING = 0  # a resource running: usually the full hour, sometimes part of it
USAGE_STORED = 1  # stored data: steady within +-2 %
USAGE_METERED = 2  # counted traffic, tokens, requests: bursty (30-170 % of the typical hour)
_USAGE_MODE = {"hour": USAGE_RUNNING, "gibh": USAGE_RUNNING, "gibm": USAGE_STORED}
# usage units that `quantity` of a unit produces in one hour; storage priced per GiB-month is
# still reported in byte-seconds, so one hour of it is `quantity` GiB for 3600 s
_USAGE_PER_QUANTITY_HOUR = {
    "hour": 3600.0,
    "gibh": 3600.0 * GIB,
    "gibm": 3600.0 * GIB,
    "gib": float(GIB),
    "tib": float(2**40),
}


class LineTemplate:
    """One (resource, SKU) line: everything that is the same on each of its hourly rows, pre-encoded."""

    __slots__ = (
        "account_index",
        "account_id",
        "currency",
        "static",  # the row's constant fields, in schema order
        "json_prefix",  # `static` encoded as the start of a JSON object
        "parquet_static",  # `static` with the price numbers as Decimal (parquet only)
        "key_prefix",  # the constant start of the line_item_key_string
        "group_id",  # small int per distinct (account, service, sku, project, resource, location)
        "weight",  # relative chance to be picked for a row
        "profile",  # hour-of-day profile name (HOUR_PROFILES)
        "quantity",
        "unit",
        "units_per_pricing_unit",
        "usage_unit",
        "pricing_unit",
        "usage_mode",  # USAGE_RUNNING / USAGE_STORED / USAGE_METERED
        "hourly_amount",  # typical usage amount of one hour, in usage units
        "effective_price",
        "list_price",
        "credits",  # credit rules: (type, name, id, full_name, probability, low fraction, high fraction)
        "omit_empty",  # leave empty labels/system_labels/tags/credits out of the row
        "team",
        "phase",
        "project_id",  # ground truth
    )

    def weighted_cost(self) -> float:
        """The cost of a typical hour of this line times its weight: its share of the usage cost,
        up to a common factor."""
        return self.weight * self.hourly_amount / self.units_per_pricing_unit * self.effective_price


@dataclass
class Resource:
    """One resource and the line templates of its SKUs, with the labels and tags they share."""

    team: str
    team_label_eligible: bool  # an ordinary team resource: its team label is decided in assign_team_labels
    is_gke: bool  # a GKE namespace's share of a shared node
    is_sandbox: bool
    templates: list[LineTemplate]
    labels: list[tuple[str, str]]  # shared with (and encoded into) the templates' static fields
    tags: list[dict[str, Any]]
    omit_empty: bool


class Company:
    """The simulated organisation: projects, resources and one line template per (resource, SKU).

    It draws from its own RNG, so the row sampling does not change the company (only `scale` does).
    """

    def __init__(self, seed: int, scale: int):
        rng = random.Random(seed * 7919 + 17)
        self.projects: dict[str, dict[str, Any]] = {}
        self.project_team: dict[str, str] = {}
        self.project_account: dict[str, int] = {}
        self.templates: list[LineTemplate] = []
        self.resources: list[Resource] = []
        self._group_ids: dict[tuple, int] = {}
        # NB: the order of the steps below is the order of the RNG draws; changing it changes the data
        self._add_projects(rng)
        self.project_has_env_tag = {pid: (rng.random() < 0.4) for pid in self.projects}
        for spec in SPECS:
            self._add_spec(rng, spec, scale)
        self._add_gke_namespaces(rng, scale)
        assign_team_labels(self.resources, rng)
        self._normalise_weights()

    def _add_projects(self, rng: random.Random) -> None:
        folder_ids: dict[str, str] = {}
        for dept in list(DEPARTMENTS) + ["sandboxes", "shared-infrastructure"]:
            folder_ids[dept] = str(rng.randrange(10**11, 10**12))
        team_folder = {t: str(rng.randrange(10**11, 10**12)) for t in TEAMS}
        dept_of = {t: d for d, ts in DEPARTMENTS.items() for t in ts}
        for acct, team, pid, pname, env in PROJECTS:
            number = str(rng.randrange(10**11, 10**12))
            ancestors = [{"resource_name": f"projects/{number}", "display_name": pid}]
            if pid == SANDBOX:
                chain = [(folder_ids["sandboxes"], "sandboxes")]
            elif team is None:
                chain = [(folder_ids["shared-infrastructure"], "shared-infrastructure")]
            else:
                chain = [(team_folder[team], team), (folder_ids[dept_of[team]], dept_of[team])]
            for fid, fname in chain:
                ancestors.append({"resource_name": f"folders/{fid}", "display_name": fname})
            ancestors.append({"resource_name": f"organizations/{ORG_NUMBER}", "display_name": ORG_NAME})
            ancestry = "/" + ORG_NUMBER + "/" + "/".join(fid for fid, _ in reversed(chain)) + "/"
            if pid == SANDBOX:
                plabels: list = []
            elif team is None:
                plabels = [("cost-pool", "networking"), ("env", env)]
            else:
                r = rng.random()
                tkey = "team" if r < 0.75 else rng.choice(["Team", "owner-team", "cost-center"])
                tval = team if rng.random() < 0.7 else rng.choice(TEAM_VARIANTS[team])
                plabels = [("env", env), (tkey, tval)]
                if rng.random() < 0.5:
                    plabels.append(("billing", "chargeback"))
            self.projects[pid] = {
                "id": pid,
                "number": number,
                "name": pname,
                "labels": label_records(plabels),
                "ancestry_numbers": ancestry,
                "ancestors": ancestors,
            }
            self.project_team[pid] = team if team else "shared"
            self.project_account[pid] = acct

    def _add_gke_namespaces(self, rng: random.Random, scale: int) -> None:
        """Each namespace of the shared cluster gets its own cost-allocation lines on shared nodes."""
        for ns, team, phase, app, kind in GKE_NAMESPACES:
            n = max(1, scale // 2) if kind != "gke_autopilot" else 1
            for i in range(n * (2 if team in ("search-ranking", "applied-ml") else 1)):
                self._add_resource(rng, 0, SHARED_GKE, kind, team, phase, "flat", 1.0, name=None, gke=(ns, app, i))

    def _normalise_weights(self) -> None:
        """Scale the template weights so that each billing account gets its `share` of the rows."""
        total = [0.0, 0.0]
        for t in self.templates:
            total[t.account_index] += t.weight
        for t in self.templates:
            t.weight *= ACCOUNTS[t.account_index]["share"] / total[t.account_index]

    def _group_id(self, key: tuple) -> int:
        """A small int per distinct line item group (the identifying fields of the key)."""
        return self._group_ids.setdefault(key, len(self._group_ids))

    def _add_spec(self, rng: random.Random, spec, scale: int) -> None:
        pid, kind, pattern, count, scales, phase, profile, duty = spec
        team = self.project_team[pid]
        n = count * (scale if scales else 1)
        names = pattern.split("|") if pattern else [""]
        people = PEOPLE[:]
        rng.shuffle(people)
        for i in range(n):
            # mostly the first name pattern, sometimes one of the alternatives
            pat = names[0] if (len(names) == 1 or rng.random() < 0.55) else rng.choice(names[1:])
            name = pat.format(
                i=i + 1, n=rng.randrange(10**6, 10**7), p=people[i % len(people)] + ("" if i < len(people) else str(i))
            )
            if n > 1 and "{" not in pattern and pattern:
                # fixed names ("a|b"): one each, then numbered
                name = names[i % len(names)] + ("" if i < len(names) else f"-{i}")
            elif i > 0 and "{" not in pat:
                name = f"{name}-{i + 1}"
            self._add_resource(rng, self.project_account[pid], pid, kind, team, phase, profile, duty, name=name)

    def _add_resource(self, rng, acct_i, pid, kind, team, phase, profile, duty, name, gke=None) -> None:
        """Add one resource and a line template for each of its SKUs (KINDS[kind]).

        `gke` = (namespace, app, index) for a GKE namespace's share of the shared cluster.
        NB: the RNG draws happen in a fixed order; keep it when editing.
        """
        acct = ACCOUNTS[acct_i]
        proj = self.projects[pid]
        region = acct["region"]
        zone = region + "-" + rng.choice("abc" if acct_i else "abcf")
        phase = phase or "non_ai"
        # sandbox, shared-network and GKE-namespace resources never get a team label; the others
        # get theirs later, cost-weighted, in assign_team_labels()
        eligible = pid != SANDBOX and pid != NET_HOST and gke is None
        labels: list[tuple[str, str]] = []
        tags: list[dict[str, Any]] = []
        if eligible:
            labels = resource_labels(rng, proj, phase, name)
        if gke is not None:
            labels = gke_labels(rng, kind, region, gke[0], gke[1])
        if self.project_has_env_tag[pid]:
            tags.append({"key": "env", "value": project_env(proj), "inherited": True, "namespace": ORG_NUMBER})

        # ---- resource identity and purchase options
        rid = str(rng.randrange(10**18, 10**19))
        name, zone, gname = resource_global_name(kind, pid, proj["number"], region, zone, name, rid, gke)
        machine = MACHINE_SPECS.get(kind)
        system_labels: list[tuple[str, str]] = []
        if machine is not None:
            system_labels = [
                ("compute.googleapis.com/machine_spec", machine[0]),
                ("compute.googleapis.com/cores", machine[1]),
                ("compute.googleapis.com/memory", machine[2]),
            ]
        true_team = team if pid != NET_HOST else "shared"
        omit_empty = rng.random() < 0.12
        cud = rng.random() < 0.6
        contract_discount = acct_i == 0 and rng.random() < 0.5
        subscription = None
        if kind in ("a3_vm", "a2_vm", "n1_vm") and rng.random() < 0.15:
            subscription = subscription_id(pid, rid)

        # ---- one line template per SKU
        first_template = len(self.templates)
        for sku_key, qty, sku_weight in KINDS[kind]:
            svc_key, desc, unit_key, list_usd = SKUS[sku_key]
            desc = desc.format(geo=acct["geo"], region=region, mr=acct["mr"], city=acct["city"])
            svc_id, svc_desc = SERVICES[svc_key]
            sku_id = hexid(svc_id, desc)
            usage_unit, pricing_unit, conv = UNITS[unit_key]
            loc = sku_location(sku_key, svc_key, kind, acct, region, zone)
            # pd rows are the disk, not the instance
            res_gname = gname
            if sku_key in ("pd", "pd_ssd") and gname:
                res_gname = gname.replace("/instances/", "/disks/")
            # prices in the account's currency; the EU account pays an 8 % regional premium
            list_price = round(list_usd * acct["rate"] * (1.0 if acct_i == 0 else 1.08), 9)
            price_discount = 0.0
            if svc_key == "vertex" and not sku_key.startswith("gem_") and rng.random() < 0.3:
                price_discount = 0.1
            eff = round(list_price * (1.0 - price_discount), 9)
            price = {
                "effective_price": _num_str(eff),
                "tier_start_amount": "0",
                "unit": pricing_unit,
                "pricing_unit_quantity": "1",
                "list_price": _num_str(list_price),
                "effective_price_default": _num_str(eff),
                "list_price_consumption_model": _num_str(list_price),
            }
            # the row's constant fields, in the schema's column order
            static: dict[str, Any] = {
                "billing_account_id": acct["id"],
                "service": {"id": svc_id, "description": svc_desc},
                "sku": {"id": sku_id, "description": desc},
                "project": proj,
            }
            if labels or not omit_empty:
                static["labels"] = label_records(labels)
            if system_labels or not omit_empty:
                static["system_labels"] = label_records(system_labels) if svc_key == "compute" else []
            static["location"] = loc
            if res_gname is not None:
                static["resource"] = {"name": name, "global_name": res_gname}
            if tags or not omit_empty:
                static["tags"] = tags
            static["price"] = price
            if subscription and svc_key == "compute" and "core" in sku_key:
                static["subscription"] = {"instance_id": subscription}
            static["transaction_type"] = "GOOGLE"
            static["seller_name"] = "Google"
            static["currency"] = acct["currency"]
            static["consumption_model"] = CONSUMPTION_MODEL

            t = LineTemplate()
            t.account_index = acct_i
            t.account_id = acct["id"]
            t.currency = acct["currency"]
            t.static = static
            t.json_prefix = encode_prefix(static)
            t.parquet_static = None
            t.key_prefix = "|".join([acct["id"], svc_id, sku_id, pid, res_gname or "", loc["location"]]) + "|"
            t.group_id = self._group_id((acct["id"], svc_id, sku_id, pid, res_gname, loc["location"]))
            t.weight = duty * sku_weight * (0.35 if svc_key in ("logging", "monitoring") else 1.0)
            t.profile = profile
            t.quantity = float(qty)
            t.unit = unit_key
            t.units_per_pricing_unit = conv
            t.usage_unit = usage_unit
            t.pricing_unit = pricing_unit
            t.usage_mode = _USAGE_MODE.get(unit_key, USAGE_METERED)
            t.hourly_amount = float(qty) * _USAGE_PER_QUANTITY_HOUR.get(unit_key, 1.0)
            t.effective_price = eff
            t.list_price = list_price
            t.credits = credit_rules(rng, sku_key, svc_key, acct_i, region, cud, contract_discount, subscription, gke)
            t.omit_empty = omit_empty
            t.team = true_team
            t.phase = phase
            t.project_id = pid
            self.templates.append(t)
        self.resources.append(
            Resource(
                team=team,
                team_label_eligible=eligible,
                is_gke=gke is not None,
                is_sandbox=pid == SANDBOX,
                templates=self.templates[first_template:],
                labels=labels,
                tags=tags,
                omit_empty=omit_empty,
            )
        )
