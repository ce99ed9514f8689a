"""Block Kit for Slack messages, and the signed values their Acknowledge/Resolve buttons carry.

A page renders as the incident (linked), its severity, the escalation step and state, the text,
then the buttons its state still allows: Acknowledge and Resolve while triggered, Resolve once
acknowledged, none once resolved. A button's value is `action:ref:signature`, an HMAC-SHA256 over
the action and the reference keyed by the Slack signing secret, so an interaction can only act on
what Firebreak itself put in a message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from enum import Enum
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from app.notifications.channels.base import Message, MessageKind, PageState, clip

SECTION_MAX = 2900
REF_MAX = 500
_CONTEXT = b"firebreak:slack-button:v1:"


class ButtonAction(str, Enum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


ACTION_IDS = {ButtonAction.ACKNOWLEDGE: "firebreak.acknowledge", ButtonAction.RESOLVE: "firebreak.resolve"}


def _signature(action: ButtonAction, ref: str, key: str) -> str:
    mac = hmac.new(key.encode(), _CONTEXT + f"{action.value}:{ref}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def button_value(action: ButtonAction, ref: str, key: str) -> str:
    """The signed value of a button acting on `ref` (e.g. a page's global id)."""
    if not ref or len(ref) > REF_MAX:
        raise ValueError(f"a button reference must have 1 to {REF_MAX} characters")
    return f"{action.value}:{ref}:{_signature(action, ref, key)}"


def read_button_value(value: str, key: str) -> tuple[ButtonAction, str] | None:
    """The action and reference of a value made by `button_value` with `key`; None if forged or altered."""
    head, _, signature = value.rpartition(":")
    name, _, ref = head.partition(":")
    try:
        action = ButtonAction(name)
    except ValueError:
        return None
    if not ref or not hmac.compare_digest(signature, _signature(action, ref, key)):
        return None
    return action, ref


def escape(text: str) -> str:
    """Text safe inside Slack mrkdwn (Slack's three control characters escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str | None, label: str) -> str:
    return f"<{url}|{escape(label)}>" if url else f"*{escape(label)}*"


def _buttons(message: Message, key: str | None) -> list[ButtonElement]:
    wanted = {
        PageState.TRIGGERED: (ButtonAction.ACKNOWLEDGE, ButtonAction.RESOLVE),
        PageState.ACKNOWLEDGED: (ButtonAction.RESOLVE,),
        PageState.RESOLVED: (),
    }[message.state]
    urls = {ButtonAction.ACKNOWLEDGE: message.ack_url, ButtonAction.RESOLVE: message.resolve_url}
    styles = {ButtonAction.ACKNOWLEDGE: "primary", ButtonAction.RESOLVE: "danger"}
    buttons = []
    for action in wanted:
        label = action.value.capitalize()
        if key and message.action_ref:  # interactive: Slack posts the signed value back to us
            value = button_value(action, message.action_ref, key)
            buttons.append(ButtonElement(text=label, action_id=ACTION_IDS[action], value=value, style=styles[action]))
        elif urls[action]:  # no interactivity configured: the button opens the signed link
            buttons.append(
                ButtonElement(text=label, action_id=ACTION_IDS[action], url=urls[action], style=styles[action])
            )
    return buttons


def page_blocks(message: Message, key: str | None) -> list[Block]:
    title = f"{message.incident_ref}: {message.subject}" if message.incident_ref else message.subject
    fields = [
        MarkdownTextObject(text=f"*Severity*\n{escape(message.severity or '—')}"),
        MarkdownTextObject(text=f"*Escalation step*\n{message.step if message.step is not None else '—'}"),
        MarkdownTextObject(text=f"*State*\n{message.state.value.capitalize()}"),
    ]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=_link(message.incident_url, title)), fields=fields)
    ]
    if message.text.strip():
        blocks.append(SectionBlock(text=MarkdownTextObject(text=escape(message.text.strip()[:SECTION_MAX]))))
    buttons = _buttons(message, key)
    if buttons:
        blocks.append(ActionsBlock(block_id="firebreak.page", elements=buttons))
    if message.status_note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=escape(clip(message.status_note, 300)))]))
    return blocks


def other_blocks(message: Message) -> list[Block]:
    heading = _link(message.incident_url, message.subject)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=heading))]
    if message.text.strip():
        blocks.append(SectionBlock(text=MarkdownTextObject(text=escape(message.text.strip()[:SECTION_MAX]))))
    if message.unsubscribe_url:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_link(message.unsubscribe_url, "Unsubscribe"))]))
    return blocks


def render(message: Message, key: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text (shown in notifications) and the blocks of `message`."""
    blocks = page_blocks(message, key) if message.kind is MessageKind.PAGE else other_blocks(message)
    fallback = clip(f"{message.incident_ref}: {message.subject}" if message.incident_ref else message.subject, 3000)
    return fallback, [block.to_dict() for block in blocks]
