"""A local Slack stand-in speaking Slack's wire protocol on loopback. Never imported by
production code: tests and the demo start it, and the real slack_sdk and slack-bolt talk to it."""

from slackemu.emulator import SlackEmu

__all__ = ["SlackEmu"]
