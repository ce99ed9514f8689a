"""Notifications: the delivery channels that make a page, a code or a status update arrive, and the
outbound guard every user-supplied destination goes through."""
