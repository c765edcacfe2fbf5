"""Email: the customer's confirmations and replies, agents' alerts, through the outbox."""
