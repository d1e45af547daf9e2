from glpi_scim.cli.main import main

main()
