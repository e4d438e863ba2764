"""The citizen's access log in the graph: what is recorded (:mod:`.reads`) and
``viewer.accessLog`` (:mod:`.citizen_fields`)."""
