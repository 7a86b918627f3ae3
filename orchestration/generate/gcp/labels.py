"""Labels and resource-manager tags: how the company spells them, which labels its resources
carry, how well the team is labelled (cost-weighted, `assign_team_labels`) and, for
`--untagged-share`, which resources lose their team keys (`strip_team_attribution`).

The spellings are those the demo configuration knows (seeds/team_aliases.csv,
seeds/tag_key_aliases.csv) plus typos it does not, so attribution has work to do.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING, Any

from orchestration.generate.gcp.organisation import AI_PHASES, ORG_NUMBER
from orchestration.generate.gcp.writers import encode_prefix
from orchestration.ingestion import gcp_schema

if TYPE_CHECKING:
    from orchestration.generate.gcp.company import Company, Resource

# value variants covered by seeds/team_aliases.csv after lower(trim()) and '_' -> '-'
TEAM_VARIANTS = {
    "foundation-models": [
        "Foundation Models",
        "foundation_models",
        " fm ",
        "fundation-models",
        "FM",
        "Foundation-Models",
    ],
    "applied-ml": ["Applied ML", "applied_ml", "appliedml", "Applied-ML"],
    "inference-platform": ["inference", "Serving", "infernce-platform", "Inference_Platform"],
    "ml-platform": ["platform", "mlplatform", "ML-Platform", "ml_platform"],
    "data-engineering": ["data-eng", "DE", "dataeng", "Data_Engineering"],
    "search-ranking": ["search", "Search", "search_ranking"],
    "trust-safety": ["trust-and-safety", "T&S", "Trust-Safety", "trust_safety"],
    "analytics": ["BI", "Analytics", " analytics"],
    "web-app": ["webapp", "web", "Web-App", "web_app"],
}
# values NOT covered by the aliases seed (true team is still the intended one)
TEAM_TYPOS = {
    "foundation-models": ["foundation-model", "fnd-models"],
    "applied-ml": ["aplied-ml", "appliedml-team"],
    "inference-platform": ["inferense", "infra-serving"],
    "ml-platform": ["ml-platfrom", "mlplatfrom"],
    "data-engineering": ["data-engg", "dataengineering"],
    "search-ranking": ["searchh", "search-rank"],
    "trust-safety": ["trust-n-safety", "tns"],
    "analytics": ["analytic", "bi-team"],
    "web-app": ["web-ap", "frontend"],
}
# key variants covered by seeds/tag_key_aliases.csv after lower(trim()) and '-'/' ' -> '_'
TEAM_KEY_VARIANTS = [
    "Team",
    " team ",
    "TEAM",
    "owner-team",
    "Owner_Team",
    "Cost-Center",
    "cost center",
    "squad",
    "team-name",
    "owner",
]
PHASE_KEY_VARIANTS = [
    "workload_phase",
    "workload_phase",
    "phase",
    "phase",
    "ml-phase",
    "Workload-Phase",
    "ai_phase",
    "Phase",
]
PHASE_VARIANTS = {
    "training": ["training", "train", "pretraining", "Training", "pre_training"],
    "fine_tuning": ["fine_tuning", "finetune", "sft", "Fine_Tuning", "finetuning"],
    "inference": ["inference", "serving", "prediction", "online_prediction", "Inference"],
    "experimentation": ["experimentation", "research", "notebook", "experiment"],
    "data_preparation": ["data_prep", "etl", "preprocessing", "data_preparation"],
    "non_ai": ["none", "non_ai"],
}
PHASE_TYPOS = {
    "training": ["model-training"],
    "fine_tuning": ["lora"],
    "inference": ["prod-serving"],
    "experimentation": ["eval"],
    "data_preparation": ["feature-eng"],
    "non_ai": ["n/a"],
}

# Label and tag keys that name a team in the demo configuration (seeds/tag_key_aliases.csv and
# the GKE cost-allocation keys), after the same normalisation: lowercase, ` ` and `-` as `_`.
_TEAM_KEYS = {"team", "owner_team", "team_name", "owner", "cost_center", "squad", "k8s_namespace"}


def is_team_key(key: str) -> bool:
    """Whether a label or tag key names a team in the demo configuration."""
    normalised = re.sub(r"[\s\-]+", "_", key.strip().lower())
    return normalised in _TEAM_KEYS or (
        normalised.startswith("k8s_label/") and normalised.removeprefix("k8s_label/") in _TEAM_KEYS
    )


def project_env(project: dict[str, Any]) -> str:
    """The value of the project's first label: its `env` label for team projects (for the shared
    VPC host project that first label is `cost-pool`)."""
    return project["labels"][0]["value"] if project["labels"] else "prod"


def label_records(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    """(key, value) pairs as the export's repeated key/value records."""
    return [{"key": k, "value": v} for k, v in pairs]


_SCHEMA_COLUMNS = [f["name"] for f in gcp_schema.fields()]

_GKE_NODE_POOL = {"gke_node_l4": "gpu-l4-pool", "gke_node_a100": "gpu-a100-pool"}

# Team-label styles of ordinary team resources, assigned cost-weighted in assign_team_labels()
_TEAM_LABEL = "label"  # a team label (key and value possibly spelled as a known variant)
_TEAM_TAG_ONLY = "tag"  # no team label, but a `team` resource-manager tag
_PROJECT_LABEL_ONLY = "project"  # nothing on the resource: only the project's label says the team
_TEAM_TYPO = "typo"  # a team label whose value is a typo not covered by the aliases seed


def resource_labels(rng: random.Random, project: dict[str, Any], phase: str, name: str | None) -> list:
    """Labels of an ordinary team resource, except the team label (see assign_team_labels)."""
    labels: list[tuple[str, str]] = []
    if rng.random() < 0.6:
        labels.append(("env", project_env(project)))
    if phase in AI_PHASES and rng.random() < 0.5:
        pk = rng.choice(PHASE_KEY_VARIANTS)
        pv = (
            rng.choice(PHASE_TYPOS[phase])
            if rng.random() < 0.08
            else (phase if rng.random() < 0.5 else rng.choice(PHASE_VARIANTS[phase]))
        )
        labels.append((pk, pv))
    elif phase not in AI_PHASES and rng.random() < 0.1:
        labels.append(("workload_phase", rng.choice(PHASE_VARIANTS["non_ai"])))
    if name and rng.random() < 0.4:
        labels.append(("app", name.split("-")[0]))
    return labels


def gke_labels(rng: random.Random, kind: str, region: str, ns: str, app: str) -> list:
    """The labels GKE cost allocation puts on a namespace's share of a node."""
    labels = [("goog-k8s-cluster-name", "ml-shared-gke-usc1"), ("goog-k8s-cluster-location", region)]
    if kind != "gke_autopilot":
        labels.append(("goog-k8s-node-pool-name", _GKE_NODE_POOL[kind]))
    labels += [("k8s-namespace", ns), ("k8s-label/app", app)]
    if rng.random() < 0.5:
        labels.append(("k8s-label/app.kubernetes.io/managed-by", "helm"))
    return labels


def assign_team_labels(resources: list[Resource], rng: random.Random) -> None:
    """Cost-weighted label quality: GKE-namespace-only ~8 %, sandbox ~3 %, and among the other
    team resources 70 % team label, 5 % team tag only, 22 % project label only, 3 % typo."""

    def cost(templates) -> float:
        return sum(t.weighted_cost() for t in templates)

    # 1. reweight GKE-namespace and sandbox resources of the main account to their cost shares
    main = [r for r in resources if r.templates and r.templates[0].account_index == 0]
    c_gke = sum(cost(r.templates) for r in main if r.is_gke)
    c_sandbox = sum(cost(r.templates) for r in main if r.is_sandbox)
    c_other = sum(cost(r.templates) for r in main if not r.is_gke and not r.is_sandbox)
    total = c_other / (1 - 0.08 - 0.03)
    for flag, c, share in (("is_gke", c_gke, 0.08), ("is_sandbox", c_sandbox, 0.03)):
        f = min(50.0, max(0.02, share * total / c)) if c > 0 else 1.0
        for r in main:
            if getattr(r, flag):
                for t in r.templates:
                    t.weight *= f

    # 2. pick a label style per eligible resource so that the styles get their cost shares
    eligible = [r for r in resources if r.team_label_eligible]
    rng.shuffle(eligible)
    eligible_total = sum(cost(r.templates) for r in eligible) or 1.0
    style_of: dict[int, str] = {}
    # small budgets first (typo values 3 %, tag only 5 %), filled with resources that fit;
    # prefer resources with a high cost per row, so the row share stays near the cost share
    by_density = sorted(
        range(len(eligible)), key=lambda j: -cost(eligible[j].templates) / sum(t.weight for t in eligible[j].templates)
    )
    for style, budget in ((_TEAM_TYPO, 0.03), (_TEAM_TAG_ONLY, 0.05)):
        used = 0.0
        for i in by_density:
            c = cost(eligible[i].templates) / eligible_total
            if i not in style_of and used + c <= budget * 1.1:
                style_of[i] = style
                used += c
    # the rest in (shuffled) order: the first 70/92 of their cost labelled, the others not
    rest = [i for i in range(len(eligible)) if i not in style_of]
    rest_total = sum(cost(eligible[i].templates) for i in rest) or 1.0
    cum = 0.0
    for i in rest:
        c = cost(eligible[i].templates)
        style_of[i] = _TEAM_LABEL if (cum + c / 2) / rest_total < 0.70 / 0.92 else _PROJECT_LABEL_ONLY
        cum += c

    # 3. apply the styles and re-encode the affected templates
    for i, r in enumerate(eligible):
        style = style_of[i]
        team = r.team
        labels, tags = r.labels, r.tags
        if style == _TEAM_LABEL:
            key = "team" if rng.random() < 0.5 else rng.choice(TEAM_KEY_VARIANTS)
            val = team if rng.random() < 0.55 else rng.choice(TEAM_VARIANTS[team])
            labels.insert(0, (key, val))
        elif style == _TEAM_TAG_ONLY:
            tags.insert(0, {"key": "team", "value": team, "inherited": False, "namespace": ORG_NUMBER})
        elif style == _TEAM_TYPO:
            labels.insert(0, ("team" if rng.random() < 0.7 else "Team", rng.choice(TEAM_TYPOS[team])))
        else:  # _PROJECT_LABEL_ONLY: nothing to change
            continue
        for t in r.templates:
            st = t.static
            if labels or not r.omit_empty:
                st["labels"] = label_records(labels)
            if tags or not r.omit_empty:
                st["tags"] = tags
            # a key added just now went to the end: restore the schema's column order
            t.static = {k: st[k] for k in _SCHEMA_COLUMNS if k in st}
            t.json_prefix = encode_prefix(t.static)


def strip_team_attribution(company: Company, share: float, seed: int) -> float:
    """Break tag coverage on purpose (``--untagged-share``): remove every team label and tag
    from resources holding about `share` of the usage cost, as if they had never been tagged.

    Cost-weighted, deterministic for a seed, and drawn from its own RNG so the rest of the
    data (and every line item id) is the same as without the flag. The resource labels,
    resource-manager tags, GKE labels and the project labels seen on those resources' rows
    lose their team keys; the ground truth keeps the true owner, so attribution accuracy
    drops too. What remains to attribute them are the folder mapping and virtual-tag rules.
    Returns the share of usage cost actually stripped.
    """
    if not 0.0 < share <= 1.0:
        raise ValueError(f"untagged share must be in (0, 1], got {share}")

    rng = random.Random(seed * 104_729 + 3)
    total = sum(t.weighted_cost() for t in company.templates) or 1.0
    candidates = [r for r in company.resources if r.templates]
    rng.shuffle(candidates)
    stripped = 0.0
    for resource in candidates:
        c = sum(t.weighted_cost() for t in resource.templates) / total
        if stripped + c / 2 > share:
            continue
        stripped += c
        for t in resource.templates:
            st = t.static
            for field in ("labels", "tags"):
                if field in st:
                    st[field] = [kv for kv in st[field] if not is_team_key(kv["key"])]
                    if not st[field] and t.omit_empty:
                        del st[field]
            project = st["project"]
            st["project"] = {**project, "labels": [kv for kv in project["labels"] if not is_team_key(kv["key"])]}
            t.json_prefix = encode_prefix(st)
    return stripped
