"""Resolvers of the citizen's own fields (``viewer.name``)."""
