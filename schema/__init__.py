"""The GraphQL schema: strawberry types, one folder per domain."""
