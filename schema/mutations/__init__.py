"""Mutations, one module per area: each a strawberry type whose fields the root merges."""
