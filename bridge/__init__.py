"""casebridge: customer support portals bridged into Slack."""
