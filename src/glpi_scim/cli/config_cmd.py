"""`glpi-scim config show`: the effective settings, where each came from, secrets masked."""

from __future__ import annotations

import click
from rich.table import Table

from glpi_scim.cli.context import console, get_context, print_json
from glpi_scim.config import Settings, mask_url_password
from glpi_scim.db.database import DatabaseError, database_url


@click.group("config")
def config_group() -> None:
    """Inspect the settings."""


def effective_database(settings: Settings) -> tuple[str, str]:
    """(masked URL of the database the settings reach, how it was chosen)."""
    if settings.database_url:
        origin = "database_url"
    elif settings.glpi_config:
        origin = f"GLPI's config_db.php in {settings.glpi_config}"
    else:
        origin = "embedded SQLite default"
    try:
        return mask_url_password(database_url(settings)), origin
    except DatabaseError as exc:
        return f"(unusable: {exc})", origin


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
def config_show(as_json: bool) -> None:
    """Print every setting's effective value and its source (default, file, env, cli)."""
    settings = get_context().settings()
    url, origin = effective_database(settings)
    if as_json:
        print_json(
            {
                "config_file": settings.config_path,
                "settings": [
                    {"name": name, "value": value, "source": source}
                    for name, value, source in settings.describe()
                ],
                "database": {"url": url, "from": origin},
            }
        )
        return
    table = Table("setting", "value", "source", title="glpi-scim settings")
    for name, value, source in settings.describe():
        table.add_row(name, value, source)
    out = console()
    out.print(table)
    out.print(f"Configuration file: {settings.config_path or 'none'}")
    out.print(f"Database: {url} ({origin})")


COMMANDS = [config_group]
