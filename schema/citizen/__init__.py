"""The logged-in citizen (``viewer``) and the authentication errors of the API."""
