"""Delivery channels: email, Slack, signed webhooks and Apprise targets. Each takes a channel-neutral
`Message` and answers an `Outcome` (sent, transient or permanent failure) instead of raising."""

from app.notifications.channels.base import Message, MessageKind, Outcome, PageState, Status

__all__ = ["Message", "MessageKind", "Outcome", "PageState", "Status"]
