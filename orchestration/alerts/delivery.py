"""Sending alerts through Apprise (Slack, Teams, email, webhooks: any URL Apprise knows), each
event to each target once.

The targets are Apprise URLs in one environment variable (CHARGEBACK_ALERT_URLS), separated by
spaces, commas or new lines as Apprise itself reads them; read when alerts are sent, not when the
definitions load, and never put in the Dagster config (webhook URLs carry tokens). Each target is
notified on its own, so one that fails does not stop or repeat the others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import apprise
from apprise.utils.parse import parse_urls

from orchestration.alerts.events import AlertEvent


@dataclass(frozen=True)
class Target:
    source: str
    """Where the URL was configured, for messages that must not print it (tokens): e.g.
    `CHARGEBACK_ALERT_URLS entry 2`, `owner_contact of budget mlp-all`."""
    url: str = field(repr=False)

    @property
    def target_id(self) -> str:
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def service(self) -> str:
        return self.url.split("://", 1)[0].lower() if "://" in self.url else "?"

    @property
    def label(self) -> str:
        return f"{self.source} ({self.service}, {self.target_id})"


@dataclass
class Outcome:
    event: AlertEvent
    accepted: list[Target]
    failed: list[tuple[Target, str]]
    """Each target that did not accept it, and why."""


def parse_targets(text: str, source: str) -> list[Target]:
    """The Apprise URLs in `text`, split as Apprise splits them (spaces, commas, new lines)."""
    return [Target(f"{source} entry {position}", url) for position, url in enumerate(parse_urls(text), start=1)]


def owner_targets(event: AlertEvent) -> list[Target]:
    """The budget owner's own target, when its owner_contact is an Apprise URL (an email address
    is named in the message: Apprise needs a mail server's URL to send mail)."""
    return [Target(f"owner_contact of budget {event.budget_id}", url) for url in parse_urls(event.owner_url or "")]


def _notifier(target: Target) -> apprise.Apprise | None:
    notifier = apprise.Apprise()
    return notifier if notifier.add(target.url) else None


def send(event: AlertEvent, targets: list[Target], timeout_seconds: float) -> Outcome:
    """Notify each target of `event`; which accepted it and which did not (with Apprise's reason)."""
    outcome = Outcome(event, [], [])
    for target in targets:
        notifier = _notifier(target)
        if notifier is None:
            outcome.failed.append((target, f"Apprise does not understand this URL (scheme {target.service!r})"))
            continue
        result = notifier.notify(
            body=event.body,
            title=event.title,
            notify_type=apprise.NotifyType.FAILURE if event.status == "over" else apprise.NotifyType.WARNING,
            timeout=timeout_seconds,
        )
        if result:
            outcome.accepted.append(target)
        else:
            reasons = [str(entry) for entry in result.logs()]
            outcome.failed.append((target, f"{result.status.name}: {reasons[-1] if reasons else 'no reason given'}"))
    return outcome
