"""GraphQL over websockets: graphql-transport-ws and the legacy graphql-ws, with shared fan-out."""
