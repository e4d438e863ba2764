"""The kernel every layer may import: settings, languages, the server secret, file links,
the shipped catalogues and the server runner. It imports nothing of the project above it."""
