"""Firebreak: self-hostable incident management with a GraphQL API."""

__version__ = "0.1.0"
