"""Action items: the follow-ups of an incident and its postmortem. `service` holds the commands
(create, update, complete, link), `queries` the reads (filters, pages by due date, batch reads)."""
