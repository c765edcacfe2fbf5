"""The Slack adapter: bolt app, listeners, Block Kit builders and the outbox deliverer."""
