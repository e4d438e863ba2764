"""Andre tjenester: links to other services behind ID-porten (single sign-on)."""
