"""The web console, without the web framework: sessions, CSRF, access rules, form parsing and
the view models its pages show. The falcon resources are in glpi_scim.server.console."""
