"""`glpi-scim systemd print-unit`: the systemd units of a production install.

Printed rather than shipped as files, so that they name this install's own executable (a
virtualenv, pipx or a system package put it in different places) and work from a wheel.
docs/deployment.md ("systemd") walks through installing them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

SERVICE = "glpi-scim.service"
PURGE_SERVICE = "glpi-scim-purge.service"
PURGE_TIMER = "glpi-scim-purge.timer"
UNITS = (SERVICE, PURGE_SERVICE, PURGE_TIMER)

DEFAULT_ENVIRONMENT_FILE = "/etc/glpi-scim/glpi-scim.env"

_SERVICE_TEXT = """\
[Unit]
Description=glpi-scim SCIM endpoint for GLPI
After=network-online.target mariadb.service mysql.service
Wants=network-online.target

[Service]
Type=simple
User={user}
Group={group}
# GLPI_CONFIG_DIR (or GLPI_SCIM_DATABASE_URL), GLPI_SCIM_PUBLIC_URL, GLPI_SCIM_TRUSTED_PROXIES...
EnvironmentFile=-{environment_file}
ExecStartPre={exec} db check
ExecStart={exec} serve --host {host} --port {port}
# SIGTERM: finish in-flight requests, write the request log and counts, exit 0.
KillSignal=SIGTERM
TimeoutStopSec=45
Restart=on-failure
RestartSec=5
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
PrivateDevices=true
ProtectKernelTunables=true
ProtectKernelModules=true
ProtectControlGroups=true
RestrictSUIDSGID=true
LockPersonality=true

[Install]
WantedBy=multi-user.target
"""

_PURGE_SERVICE_TEXT = """\
[Unit]
Description=glpi-scim: delete request-log entries older than {keep}
After=network-online.target mariadb.service mysql.service

[Service]
Type=oneshot
User={user}
Group={group}
EnvironmentFile=-{environment_file}
ExecStart={exec} logs purge --older-than {keep} --yes
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
"""

_PURGE_TIMER_TEXT = """\
[Unit]
Description=glpi-scim: purge the request log every day

[Timer]
OnCalendar=daily
RandomizedDelaySec=1h
Persistent=true
Unit={purge_service}

[Install]
WantedBy=timers.target
"""


def installed_executable() -> str:
    """The `glpi-scim` being run (its absolute path), else the one on PATH."""
    here = Path(sys.argv[0])
    if here.name == "glpi-scim" and here.exists():
        return str(here.resolve())
    candidate = Path(sys.executable).with_name("glpi-scim")
    if candidate.exists():
        return str(candidate)
    return shutil.which("glpi-scim") or "/usr/local/bin/glpi-scim"


def render_unit(
    unit: str,
    *,
    executable: str,
    user: str,
    group: str,
    environment_file: str,
    host: str,
    port: int,
    keep: str,
) -> str:
    values = {
        "exec": executable,
        "user": user,
        "group": group,
        "environment_file": environment_file,
        "host": host,
        "port": port,
        "keep": keep,
        "purge_service": PURGE_SERVICE,
    }
    text = {
        SERVICE: _SERVICE_TEXT,
        PURGE_SERVICE: _PURGE_SERVICE_TEXT,
        PURGE_TIMER: _PURGE_TIMER_TEXT,
    }
    return text[unit].format(**values)


@click.group("systemd")
def systemd_group() -> None:
    """systemd units for a production install (see docs/deployment.md)."""


@systemd_group.command("print-unit")
@click.argument("unit", type=click.Choice(UNITS), default=SERVICE, required=False)
@click.option(
    "--exec",
    "executable",
    metavar="PATH",
    default=None,
    help="glpi-scim executable the unit runs; default: this one, by absolute path.",
)
@click.option("--user", default="glpi-scim", show_default=True, help="System user it runs as.")
@click.option("--group", default=None, help="Its group; default: the same name as --user.")
@click.option(
    "--environment-file",
    default=DEFAULT_ENVIRONMENT_FILE,
    show_default=True,
    metavar="FILE",
    help="Settings as GLPI_SCIM_* / GLPI_CONFIG_DIR lines, readable by that user only.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address serve listens on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--keep",
    default="30d",
    show_default=True,
    metavar="DURATION",
    help="Request-log entries older than this are deleted by the purge service.",
)
def print_unit(
    unit: str,
    executable: str | None,
    user: str,
    group: str | None,
    environment_file: str,
    host: str,
    port: int,
    keep: str,
) -> None:
    """Print UNIT: glpi-scim.service (default), glpi-scim-purge.service or glpi-scim-purge.timer.

    Redirect it into /etc/systemd/system/UNIT, then `systemctl daemon-reload`.
    """
    from glpi_scim.identity.durations import parse_duration

    try:
        parse_duration(keep)
    except (ValueError, OverflowError) as exc:
        raise click.BadParameter(str(exc), param_hint="'--keep'") from None
    click.echo(
        render_unit(
            unit,
            executable=executable or installed_executable(),
            user=user,
            group=group or user,
            environment_file=environment_file,
            host=host,
            port=port,
            keep=keep,
        ),
        nl=False,
    )


COMMANDS = [systemd_group]
