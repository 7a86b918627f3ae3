"""`spend_alerts`: after the publication, tell people of each new event once, where they are.

Downstream of `published_warehouse`, so it runs only once readers can see the marts the alert
points at (a build that was not published sends nothing). Each open event (events.py) goes to
each target (delivery.py) that has not had it yet (ledger.py): the URLs in CHARGEBACK_ALERT_URLS,
and for a budget its owner_contact when that is an Apprise URL. The ledger row is written as soon
as a target accepted it. A target that fails is named in the `alerts_delivered` check (WARN: the
build is published and good; the next run tries again) and the event stays unrecorded for it.
Nothing configured (no URL in either place): nothing sent, nothing recorded, no error.
"""

import dagster as dg

from orchestration.alerts.delivery import owner_targets, parse_targets, send
from orchestration.alerts.events import open_events
from orchestration.alerts.ledger import delivered, ledger_relation, record
from orchestration.alerts.resource import AlertsResource
from orchestration.resources import Warehouse
from orchestration.transform.publication import PUBLISHED_WAREHOUSE

SPEND_ALERTS = dg.AssetKey(["spend_alerts"])
DELIVERED_CHECK = "alerts_delivered"


@dg.asset(
    key=SPEND_ALERTS,
    deps=[PUBLISHED_WAREHOUSE],
    group_name="alerts",
    description="Budgets at risk or over and open cost anomalies, sent once each through Apprise to the "
    "targets in CHARGEBACK_ALERT_URLS (and a budget owner's URL), after the publication; what was sent is "
    "kept in alert_deliveries.",
    check_specs=[
        dg.AssetCheckSpec(
            DELIVERED_CHECK,
            asset=SPEND_ALERTS,
            blocking=False,
            description="Every alert reached every target (a failed one is tried again by the next run).",
        )
    ],
)
def spend_alerts(context: dg.AssetExecutionContext, warehouse: Warehouse, alerts: AlertsResource):
    events = open_events(warehouse)
    targets = parse_targets(alerts.urls(), alerts.urls_variable)
    owners = {event.key: owner_targets(event) for event in events}
    metadata = {
        "open_events": dg.MetadataValue.int(len(events)),
        "targets": dg.MetadataValue.int(len(targets)),
        "ledger": dg.MetadataValue.text(warehouse.quoted(ledger_relation(warehouse))),
    }
    if not targets and not any(owners.values()):
        context.log.info(f"{len(events)} open event(s); no alert target configured ({alerts.urls_variable}): none sent")
        yield dg.MaterializeResult(metadata={**metadata, "sent": dg.MetadataValue.int(0)})
        yield dg.AssetCheckResult(
            check_name=DELIVERED_CHECK,
            passed=True,
            description=f"nothing to deliver to: {alerts.urls_variable} is empty",
        )
        return
    already = delivered(warehouse)
    sent, failures, down = [], [], set()
    for event in events:
        due = [target for target in targets + owners[event.key] if (event.key, target.target_id) not in already]
        if not due:
            continue
        # A target that failed once in this run is not tried again until the next one: a dead
        # webhook costs one timeout per run, not one per event.
        for target in [target for target in due if target.target_id in down]:
            failures.append(f"{event.key} to {target.label}: not tried, it failed earlier in this run")
        outcome = send(event, [target for target in due if target.target_id not in down], alerts.timeout_seconds)
        record(warehouse, event, [(t.target_id, t.service) for t in outcome.accepted], context.run.run_id)
        sent += [(event, target) for target in outcome.accepted]
        for target, reason in outcome.failed:
            down.add(target.target_id)
            failures.append(f"{event.key} to {target.label}: {reason}")
            context.log.error(f"alert not delivered, tried again next run: {event.key} to {target.label}: {reason}")
    context.log.info(
        f"{len(events)} open event(s); {len(sent)} message(s) sent, {len(failures)} not delivered, "
        "the rest delivered by earlier runs"
    )
    for event, target in sent:
        context.log.info(f"sent to {target.label}: {event.title}")
    summary = f"{len(sent)} message(s) sent for {len({event.key for event, _ in sent})} event(s)" + (
        f"; {len(failures)} not delivered (tried again next run)" if failures else ""
    )
    yield dg.MaterializeResult(
        metadata={
            **metadata,
            "sent": dg.MetadataValue.int(len(sent)),
            "not_delivered": dg.MetadataValue.int(len(failures)),
            "sent_titles": dg.MetadataValue.md("\n".join(f"- {e.title}" for e, _ in sent) or "(none)"),
        }
    )
    yield dg.AssetCheckResult(
        check_name=DELIVERED_CHECK,
        passed=not failures,
        severity=dg.AssetCheckSeverity.WARN,
        description=summary,
        metadata={"failures": dg.MetadataValue.md("\n".join(f"- {f}" for f in failures) or "(none)")},
    )
