"""Random GCP export rows valid by the export schema, for the ingestion property test (a helper
module, not a test module).

Valid by the schema means: every required field present, every value of its BigQuery type, the
enumerations Google documents (cost types, credit types, transaction types, ISO currencies) and
nothing else assumed. Most values are also plausible (times between 2000 and NOW, an invoice
month near the usage, everyday amounts), so that most rows load and reach the build; about one
value in sixteen is drawn from the whole range the type allows (any time from year 1 to 9999,
any 6-character month, any finite FLOAT), so that refusals are exercised too. Labels, projects
and services come from the seeds' vocabulary (teams, aliases, shared-pool projects) as well as
from arbitrary unicode. Each row has its own resource, so no two rows are the same line item.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from export_files import ACCOUNT, OTHER_ACCOUNT
from hypothesis import strategies as st

# The "now" of the property test's ingestion bounds: fixed, so that an example replays the same.
NOW = dt.datetime(2026, 12, 2, 12, 0, 0)
EARLIEST = dt.datetime(2000, 1, 1)

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
TEAM_VALUES = sorted(
    {line.split(",")[0] for line in (SEEDS / "team_aliases.csv").read_text().splitlines()[1:] if line}
    | {line.split(",")[0] for line in (SEEDS / "teams.csv").read_text().splitlines()[1:] if line}
)
LABEL_KEYS = ("team", "owner_team", "squad", "cost_center", "workload_phase", "phase", "env", "k8s-namespace")
PHASES = ("training", "inference", "experimentation", "data-prep", "evaluation")
PROJECTS = ("net-host-prod", "ai-sandbox-4471", "search-prod", "ml-train-7", "billing-admin")
SERVICES = (
    ("6F81-5844-456A", "Compute Engine"),
    ("2062-016F-44A2", "Support"),
    ("95FF-2EF5-5EA1", "Cloud Storage"),
    ("E505-1604-58F8", "Networking"),
    ("C7E2-9256-1C43", "Vertex AI"),
)
CURRENCIES = ("USD", "EUR", "JPY", "IDR", "GBP", "INR", "BRL", "CHF", "KRW")
COST_TYPES = ("regular", "tax", "adjustment", "rounding_error")
CREDIT_TYPES = (
    "FEE_UTILIZATION_OFFSET",
    "COMMITTED_USAGE_DISCOUNT",
    "COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE",
    "DISCOUNT",
    "FREE_TIER",
    "PROMOTION",
    "RESELLER_MARGIN",
    "SUBSCRIPTION_BENEFIT",
    "SUSTAINED_USAGE_DISCOUNT",
)
TRANSACTION_TYPES = ("GOOGLE", "THIRD_PARTY_RESELLER", "THIRD_PARTY_AGENCY")
OFFSETS = (None, "Z", "+00:00", "+05:30", "-08:00", "+14:00")


def _rarely(usual: st.SearchStrategy, wild: st.SearchStrategy) -> st.SearchStrategy:
    # The usual value first: the example hypothesis tries first and shrinks towards is plausible.
    return st.integers(0, 15).flatmap(lambda k: wild if k == 15 else usual)


_text = st.text(max_size=12)
_finite = st.floats(allow_nan=False, allow_infinity=False)
_amount = _rarely(st.floats(-1e6, 1e6, allow_nan=False), _finite)


@st.composite
def _timestamp(draw, moment: dt.datetime) -> str:
    """`moment` (naive UTC) as the export or an ISO writer writes it, in some UTC offset."""
    offset = draw(st.sampled_from(OFFSETS))
    fraction = f".{moment.microsecond:06d}" if moment.microsecond else ""
    if offset in (None, "Z"):
        return f"{moment:%Y-%m-%d %H:%M:%S}{fraction}" + (" UTC" if offset is None else "Z")
    sign, hours, minutes = offset[0], int(offset[1:3]), int(offset[4:6])
    try:
        local = moment + (1 if sign == "+" else -1) * dt.timedelta(hours=hours, minutes=minutes)
    except OverflowError:
        return f"{moment:%Y-%m-%d %H:%M:%S} UTC"
    return f"{local:%Y-%m-%dT%H:%M:%S}{fraction}{offset}"


_any_moment = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30))


@st.composite
def _times(draw) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    start = draw(_rarely(st.datetimes(min_value=EARLIEST, max_value=NOW - dt.timedelta(days=1)), _any_moment))
    end = draw(_rarely(st.timedeltas(dt.timedelta(0), dt.timedelta(days=31)).map(lambda d: start + d), _any_moment))
    delay = draw(st.timedeltas(dt.timedelta(0), dt.timedelta(days=5)))
    export = draw(_rarely(st.just(min(max(start, end) + delay, NOW)), _any_moment))
    return start, end, export


@st.composite
def _invoice_month(draw, start: dt.datetime) -> str:
    shift = draw(st.integers(-1, 1))
    month_index = start.year * 12 + start.month - 1 + shift
    usual = st.one_of(
        st.just(f"{month_index // 12:04d}{month_index % 12 + 1:02d}"),
        st.dates(EARLIEST.date(), NOW.date()).map(lambda d: f"{d:%Y%m}"),
    )
    return draw(_rarely(usual, st.text(alphabet="0123456789abS-", min_size=0, max_size=8)))


_labels = st.lists(
    st.fixed_dictionaries(
        {
            "key": st.one_of(st.sampled_from(LABEL_KEYS), _text),
            "value": st.one_of(st.sampled_from([*TEAM_VALUES, *PHASES]), _text),
        }
    ),
    max_size=4,
)


@st.composite
def export_row(draw, n: int) -> dict:
    start, end, export = draw(_times())
    service_id, service = draw(st.sampled_from(SERVICES))
    project = draw(st.one_of(st.sampled_from(PROJECTS), _text.filter(bool)))
    cost_type = draw(st.sampled_from(COST_TYPES))
    row = {
        "billing_account_id": draw(st.sampled_from((ACCOUNT, OTHER_ACCOUNT))),
        "service": {"id": service_id, "description": service},
        "sku": {"id": draw(st.one_of(st.sampled_from(("2E27-4F75-95CD", "CP-GPU-A100")), _text.filter(bool)))},
        "usage_start_time": draw(_timestamp(start)),
        "usage_end_time": draw(_timestamp(end)),
        "project": {
            "id": project,
            "name": project,
            "labels": draw(_labels),
            "ancestors": [
                {"resource_name": draw(st.sampled_from(("folders/696418965749", "folders/1"))), "display_name": "x"}
            ],
        },
        "labels": draw(_labels),
        "resource": {"name": f"r-{n}", "global_name": f"//compute.googleapis.com/projects/{project}/r-{n}"},
        "transaction_type": draw(st.sampled_from(TRANSACTION_TYPES)),
        "export_time": draw(_timestamp(export)),
        "cost": draw(_amount),
        "currency": draw(st.sampled_from(CURRENCIES)),
        "currency_conversion_rate": draw(st.floats(1e-4, 2e4)),
        "usage": {"amount": draw(st.floats(0, 1e9)), "unit": "seconds"},
        "credits": draw(
            st.lists(
                st.fixed_dictionaries(
                    {"name": _text, "amount": _amount, "type": st.sampled_from(CREDIT_TYPES), "id": _text}
                ),
                max_size=3,
            )
        ),
        "invoice": {
            "month": draw(_invoice_month(start)),
            "publisher_type": draw(st.sampled_from(("GOOGLE", "PARTNER"))),
        },
        "cost_type": cost_type,
    }
    if draw(st.booleans()):
        row["cost_at_list"] = draw(_amount)
    if cost_type == "adjustment":
        row["adjustment_info"] = {"id": f"adj-{n}", "mode": "MANUAL_ADJUSTMENT", "type": "GOODWILL"}
    return row


@st.composite
def export_rows(draw, rows: int = 25, shards: int = 2) -> list[list[dict]]:
    """One extract: `rows` rows in `shards` shard files. More rows than about 25 overrun the
    choices hypothesis makes per example: it would then run only its first, simplest example."""
    drawn = [draw(export_row(n)) for n in range(rows)]
    return [drawn[i::shards] for i in range(shards)]
