"""The use cases. Every inbound adapter (portal, Slack, commands, scheduler) calls one of these."""
