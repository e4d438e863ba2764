"""Who is asking: ID-porten token validation, the backend-for-frontend login, sessions → Viewer."""
