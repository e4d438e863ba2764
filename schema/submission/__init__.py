"""Citizen actions: meter readings and applications, accepted into the outbox."""
