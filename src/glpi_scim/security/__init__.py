"""Authentication of SCIM requests: none, Basic, Digest, bearer JWT and OAuth2 (no web code)."""
