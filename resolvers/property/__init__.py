"""Resolvers and dataloaders of Min eiendom."""
