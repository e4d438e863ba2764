"""Resolvers of the citizen actions (mutations) and their receipts."""
