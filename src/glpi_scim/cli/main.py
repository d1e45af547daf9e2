"""The `glpi-scim` command: global options, then one sub-command group per concern."""

from __future__ import annotations

import click

from glpi_scim import __version__
from glpi_scim.cli.commands import LazyGroup
from glpi_scim.cli.context import CliContext, global_options


class GlobalOptionsAnywhere(LazyGroup):
    """Accepts the global options after the sub-command too (`glpi-scim db init --database
    URL`), as people type them: they are moved in front before click parses."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(self, args))


def hoist_global_options(group: click.Group, args: list[str]) -> list[str]:
    takes_value = {
        name: not param.is_flag
        for param in group.params
        if isinstance(param, click.Option) and param.name not in ("help", "version")
        for name in param.opts
    }
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        name = arg.split("=", 1)[0]
        if name not in takes_value:
            rest.append(arg)
        elif takes_value[name] and "=" not in arg and index + 1 < len(args):
            front.extend(args[index : index + 2])
            index += 1
        else:
            front.append(arg)
        index += 1
    return front + rest


# Sub-commands are imported only when run (they import SQLAlchemy, falcon, rich): `--version`
# and `--help` start without them.
@click.group(
    cls=GlobalOptionsAnywhere,
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
