"""Performance benchmark of glpi-scim: seeder, load driver, reference servers and runner."""
