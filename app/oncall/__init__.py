"""On-call: schedules, the pure shift calculator, escalation rules, calendar feeds and previews."""
