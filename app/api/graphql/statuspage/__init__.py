"""GraphQL for communications and the status page."""
