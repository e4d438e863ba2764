"""Resolvers and dataloaders of Mine dokumenter."""
