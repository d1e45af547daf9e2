"""Seed a GLPI database with the benchmark's data set through bulk SQL (not HTTP).

    python -m benchmarks.seed --sqlite benchmarks/results/glpi.sqlite --users 100000
    python -m benchmarks.seed --mysql mysql+pymysql://root@127.0.0.1:3306/ --name glpiscim_bench

Users get e-mails, phones, an employee number, a profile, the tool's stored attributes and an
externalId; 1,000 groups follow, the first with 50,000 members. The database is rebuilt from
scratch (a fresh GLPI install), an identity server with bearer security is added, and a manifest
(ids, token) is written for the load driver.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from sqlalchemy import Connection, Table, func, select, text

from benchmarks import dataset as ds
from benchmarks import glpi_rows as rows
from benchmarks.databases import fresh_mariadb, fresh_sqlite, glpi_sql_path
from benchmarks.dataset import NO_CONTENT_VARIANT, Manifest
from glpi_scim.db import tables
from glpi_scim.db.clock import utcnow
from glpi_scim.db.database import Database
from glpi_scim.glpi import ids as scim_ids
from glpi_scim.identity.models import IdentityServer, ServerOptions

APPLIED_USER_ID = 2  # GLPI's "glpi" administrator in a fresh install
SERVER_NAME = "benchmark"
NO_CONTENT_SERVER_NAME = "benchmark-204"
NO_CONTENT_OPTION = "members_patch_no_content"


@dataclass(frozen=True)
class SeedPlan:
    users: int = 100_000
    groups: int = ds.GROUP_COUNT
    batch: int = 5_000


Advance = Callable[[str, int], None]


class RateColumn(ProgressColumn):
    """Rows per second of a task."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:>9,.0f}/s" if speed else " " * 11, style="progress.data.speed")


def add_identity_server(
    database: Database,
    auth: str = "bearer",
    name: str = SERVER_NAME,
    options: dict[str, Any] | None = None,
) -> tuple[IdentityServer, dict[str, str]]:
    """An identity server for the benchmark and the headers that authenticate to it."""
    from glpi_scim.security.credentials import new_signing_key
    from glpi_scim.servers.repository import ServerRepository

    server = ServerRepository(database).create(
        IdentityServer(
            id=0,
            name=name,
            users_id_applied=APPLIED_USER_ID,
            is_default=name == SERVER_NAME,
            auth_method="bearer" if auth == "bearer" else "none",
            signing_key=new_signing_key(),
            options=ServerOptions.from_json(options or {}),
        )
    )
    from glpi_scim.glpi.guard import GuardService, parse_limit

    # The benchmark deletes hundreds of users on purpose: the mass-change guard is off.
    GuardService(database).set_limit(server.id, parse_limit("0"))
    if auth != "bearer":
        return server, {}
    from glpi_scim.security.methods.bearer import issue_token
    from glpi_scim.servers.tokens import TokenRepository

    issued = issue_token(
        server, issuer="glpi-scim benchmark", lifetime=timedelta(days=30), subject="benchmark"
    )
    TokenRepository(database).record(server.id, issued.jti, issued.expires_at, "benchmark")
    return server, {"Authorization": f"Bearer {issued.token}"}


def _next_id(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _default_profile(connection: Connection, server: IdentityServer) -> int:
    if server.profiles_id:
        return server.profiles_id
    found = connection.execute(
        select(tables.profiles.c.id)
        .where(tables.profiles.c.is_default == 1)
        .order_by(tables.profiles.c.id)
    ).first()
    return int(found[0]) if found else 0


def _chunks(start: int, stop: int, size: int) -> Iterator[range]:
    for first in range(start, stop, size):
        yield range(first, min(first + size, stop))


def _bulk_session(connection: Connection) -> None:
    # Secondary unique indexes are checked by the data set's construction; InnoDB then inserts
    # in bulk instead of probing every unique index row by row.
    if connection.dialect.name in ("mysql", "mariadb"):
        connection.execute(text("SET SESSION unique_checks = 0, foreign_key_checks = 0"))


def seed_users(database: Database, plan: SeedPlan, server: IdentityServer, advance: Advance) -> int:
    """Insert users 0..plan.users-1; returns the id of user 0 (ids are consecutive)."""
    now = utcnow().replace(tzinfo=None)  # naive UTC, as TIMESTAMP columns hold it
    with database.begin() as connection:
        first_id = _next_id(connection, tables.users)
        profile = _default_profile(connection, server)
    for batch in _chunks(0, plan.users, plan.batch):  # nothing at all for 0 users
        built = [rows.UserRows(i, first_id + i, server, profile, now) for i in batch]
        with database.begin() as connection:
            _bulk_session(connection)
            connection.execute(tables.users.insert(), [b.user for b in built])
            connection.execute(tables.useremails.insert(), [e for b in built for e in b.emails])
            connection.execute(tables.profiles_users.insert(), [b.authorization for b in built])
            connection.execute(tables.scim_resources.insert(), [b.resource for b in built])
            connection.execute(
                tables.owners.insert(), [_owner(server, "User", b.user["id"], now) for b in built]
            )
        advance("users", len(batch))
    return first_id


def seed_groups(
    database: Database, plan: SeedPlan, server: IdentityServer, first_user_id: int, advance: Advance
) -> int:
    """Insert the groups and their members; returns the id of the big group (group 0)."""
    if plan.groups <= 0:
        return 0
    now = utcnow().replace(tzinfo=None)  # naive UTC, as TIMESTAMP columns hold it
    with database.begin() as connection:
        first_id = _next_id(connection, tables.groups)
        built = [rows.group_rows(g, first_id + g, server, now) for g in range(plan.groups)]
        _bulk_session(connection)
        connection.execute(tables.groups.insert(), [group for group, _ in built])
        connection.execute(tables.scim_resources.insert(), [tool for _, tool in built])
        connection.execute(
            tables.owners.insert(),
            [_owner(server, "Group", group["id"], now) for group, _ in built],
        )
    advance("groups", plan.groups)
    memberships = [(i, 0) for i in range(ds.big_group_size(plan.users))]
    memberships += [
        (i, g) for g in range(1, plan.groups) for i in ds.small_group_members(g, plan.users)
    ]
    for start in range(0, len(memberships), plan.batch * 2):  # nothing for 0 users
        chunk = memberships[start : start + plan.batch * 2]
        with database.begin() as connection:
            _bulk_session(connection)
            connection.execute(
                tables.groups_users.insert(),
                [rows.membership_row(first_user_id + i, first_id + g) for i, g in chunk],
            )
        advance("members", len(chunk))
    return first_id


def seed_variant_group(
    database: Database, plan: SeedPlan, server: IdentityServer, first_user_id: int
) -> int:
    """A copy of the big group owned by a variant server (a server writes only its own groups),
    with the same members; returns its id."""
    if plan.groups <= 0:
        return 0
    now = utcnow().replace(tzinfo=None)
    with database.begin() as connection:
        group_id = _next_id(connection, tables.groups)
        group, tool = rows.group_rows(plan.groups, group_id, server, now)
        connection.execute(tables.groups.insert(), [group])
        connection.execute(tables.scim_resources.insert(), [tool])
        connection.execute(tables.owners.insert(), [_owner(server, "Group", group_id, now)])
    members = list(range(ds.big_group_size(plan.users)))
    for start in range(0, len(members), plan.batch * 2):
        with database.begin() as connection:
            _bulk_session(connection)
            connection.execute(
                tables.groups_users.insert(),
                [
                    rows.membership_row(first_user_id + i, group_id)
                    for i in members[start : start + plan.batch * 2]
                ],
            )
    return group_id


def _owner(server: IdentityServer, itemtype: str, items_id: int, now: Any) -> dict[str, Any]:
    return {
        "itemtype": itemtype,
        "items_id": items_id,
        "servers_id": server.id,
        "origin": "created",
        "date_creation": now,
        "date_mod": now,
    }


def _analyze(database: Database) -> None:
    """Fresh statistics, as a long-lived GLPI database has, so that plans match production."""
    names = [
        t.name
        for t in (
            tables.users,
            tables.useremails,
            tables.groups,
            tables.groups_users,
            tables.profiles_users,
            tables.scim_resources,
        )
    ]
    with database.begin() as connection:
        if database.is_sqlite:
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE TABLE " + ", ".join(f"`{n}`" for n in names)))


def seed(
    database: Database, plan: SeedPlan, *, auth: str = "bearer", quiet: bool = False
) -> Manifest:
    server, headers = add_identity_server(database, auth)
    # The same data seen through a second identity server configured as docs/deployment.md
    # advises for very large groups: member-only PATCHes answer 204 instead of the group.
    no_content, no_content_headers = add_identity_server(
        database, auth, NO_CONTENT_SERVER_NAME, {NO_CONTENT_OPTION: True}
    )
    members = ds.big_group_size(plan.users) + (plan.groups - 1) * min(
        ds.SMALL_GROUP_SIZE, plan.users
    )
    progress = Progress(
        TextColumn("{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        disable=quiet,
    )
    with progress:
        tasks = {
            "users": progress.add_task("users", total=plan.users),
            "groups": progress.add_task("groups", total=plan.groups),
            "members": progress.add_task("members", total=members),
        }

        def advance(name: str, n: int) -> None:
            progress.advance(tasks[name], n)

        first_user = seed_users(database, plan, server, advance)
        big_group = seed_groups(database, plan, server, first_user, advance)
        variant_group = seed_variant_group(database, plan, no_content, first_user)
    _analyze(database)
    return Manifest(
        users=plan.users,
        user_ids=[scim_ids.user_id(first_user + i) for i in range(plan.users)],
        big_group_id=scim_ids.group_id(big_group) if big_group else "",
        big_group_members=ds.big_group_size(plan.users),
        groups=plan.groups,
        headers=headers,
        notes={"server_id": server.id, "database": database.url_display},
        variants={
            NO_CONTENT_VARIANT: {
                "server_id": no_content.id,
                "headers": no_content_headers,
                "big_group_id": scim_ids.group_id(variant_group) if variant_group else "",
            }
        },
    )


@click.command()
@click.option(
    "--sqlite",
    "sqlite_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Embedded SQLite file to (re)create.",
)
@click.option(
    "--mysql",
    "mysql_url",
    default=None,
    metavar="URL",
    help="MariaDB server URL (mysql+pymysql://root@127.0.0.1:3306/).",
)
@click.option(
    "--name", default="glpiscim_bench", show_default=True, help="MariaDB database to (re)create."
)
@click.option(
    "--glpi-sql",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="GLPI's empty-database dump (default: ../shared/glpi/glpi-10.0.19-empty.sql).",
)
@click.option("--users", default=SeedPlan.users, show_default=True)
@click.option("--groups", default=SeedPlan.groups, show_default=True)
@click.option("--auth", type=click.Choice(["bearer", "none"]), default="bearer", show_default=True)
@click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write the manifest (ids, token) for the load driver.",
)
def main(
    sqlite_path: str | None,
    mysql_url: str | None,
    name: str,
    glpi_sql: str | None,
    users: int,
    groups: int,
    auth: str,
    manifest_path: str | None,
) -> None:
    """(Re)create a GLPI database holding the benchmark's users and groups."""
    if bool(sqlite_path) == bool(mysql_url):
        raise click.UsageError("give exactly one of --sqlite FILE or --mysql URL")
    started = time.perf_counter()
    if sqlite_path:
        database = fresh_sqlite(Path(sqlite_path))
    else:
        assert mysql_url is not None
        database = fresh_mariadb(mysql_url, name, Path(glpi_sql) if glpi_sql else glpi_sql_path())
    prepared = time.perf_counter()
    manifest = seed(database, SeedPlan(users=users, groups=groups))
    database.dispose()
    done = time.perf_counter()
    click.echo(
        f"{database.url_display}: schema {prepared - started:.1f}s, "
        f"{users:,} users and {groups:,} groups seeded in {done - prepared:.1f}s"
    )
    if manifest_path:
        manifest.save(Path(manifest_path))
        click.echo(f"manifest: {manifest_path} (identity server {manifest.notes['server_id']})")


if __name__ == "__main__":
    main()
