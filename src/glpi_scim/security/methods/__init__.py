"""Security methods, one module each (none, basic, digest, bearer, oauth2) over `base.py`,
registered in `registry.py`. See docs/architecture.md, "Adding a security method"."""
