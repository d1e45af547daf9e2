"""The database under everything: engine, GLPI's tables, transactions, schema, migrations."""
