"""The outbox deliverer for Slack work: the generic one, plus the paced Web API calls."""

from __future__ import annotations

from bridge.clock import Clock
from bridge.outbox.deliverer import DeliveryPolicy, Handler, OutboxDeliverer
from bridge.slack.calls import SlackCalls
from storage.uow import Database

SLACK = "slack"


class SlackDeliverer(OutboxDeliverer):
    """Delivers Slack work in order per case, paced per channel."""

    kind = SLACK

    def __init__(
        self,
        db: Database,
        calls: SlackCalls,
        clock: Clock,
        handlers: dict[str, Handler],
        policy: DeliveryPolicy | None = None,
    ) -> None:
        super().__init__(db, clock, handlers, policy)
        self.calls = calls
