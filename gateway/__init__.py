"""The gateway's own HTTP endpoints beside ``/graphql`` (downloads, health, GraphiQL assets)
and the state the lifespan shares with every request. :mod:`app` assembles them."""
