"""The GraphQL schema: strawberry types (views over database rows), inputs and root types."""
