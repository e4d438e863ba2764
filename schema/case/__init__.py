"""Mine dokumenter: the citizen's cases, documents, files and decisions."""
