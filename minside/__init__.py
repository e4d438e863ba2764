"""Cross-cutting pieces of the Min side gateway: settings, command line, local stack."""
