"""Resolvers and dataloaders of Mine faktura."""
