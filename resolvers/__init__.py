"""Thin resolvers and per-request dataloaders between the schema and the connectors."""
