"""Delivering outbox work (Slack calls, emails): leases, retries, permanent failures."""
