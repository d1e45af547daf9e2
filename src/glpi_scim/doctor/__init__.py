"""`glpi-scim doctor`: a short, harmless provisioning cycle run against a live endpoint."""
