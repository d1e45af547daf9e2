"""The `glpi-scim` command: global options, then one sub-command group per concern."""

from __future__ import annotations

import click

from glpi_scim import __version__
from glpi_scim.cli.commands import LazyGroup
from glpi_scim.cli.context import CliContext, global_options


# Sub-commands are imported only when run (they import SQLAlchemy, falcon, rich): `--version`
# and `--help` start without them.
@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="glpi-scim")
@global_options
@click.pass_context
def cli(ctx: click.Context, /, **options: object) -> None:
    """SCIM 2.0 provisioning from identity providers into GLPI."""
    ctx.obj = CliContext.from_options(options)


def main() -> None:
    cli(prog_name="glpi-scim")
