"""One module per `minside` subcommand, each with ``register(subparsers)``."""
