"""GlpiStore: the SCIM ResourceStore on GLPI's own tables, for one identity server.

Each call is one transaction (see transaction.py): it reads, checks (If-Match, uniqueness,
references), writes GLPI's rows and history, and returns the resource as GLPI now holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import Connection, select

from glpi_scim.glpi import history, ids, mapping, tables
from glpi_scim.glpi.database import Database
from glpi_scim.glpi.groups import GroupReader, GroupWriter
from glpi_scim.glpi.transaction import Transactions
from glpi_scim.glpi.users import UserReader, UserWriter
from glpi_scim.scim.errors import NotFound, PreconditionFailed
from glpi_scim.scim.store import (
    GROUP,
    USER,
    ListQuery,
    MemberChange,
    Mutation,
    Page,
    Resource,
)
from glpi_scim.scim.values import etag_matches
from glpi_scim.servers import guard
from glpi_scim.servers.models import IdentityServer

T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _item_id(resource_type: str, resource_id: str) -> int:
    found = ids.parse(resource_type, str(resource_id))
    if found is None:
        raise NotFound(f"{resource_type} {resource_id} not found")
    return found


def _check_version(resource: Resource, if_match: str | None) -> None:
    if if_match is None:
        return
    current = resource["meta"]["version"]
    if not etag_matches(if_match, current):
        raise PreconditionFailed(
            f"the resource has changed: its version is {current}, not {if_match}"
        )


class GlpiStore:
    """glpi_scim.scim.store.ResourceStore on GLPI's tables, as seen by one identity server."""

    def __init__(
        self,
        database: Database,
        server: IdentityServer,
        *,
        now: Callable[[], datetime] = utc_now,
        transactions: Transactions | None = None,
    ):
        self.database = database
        self.server = server
        self.now = now
        self.transactions = transactions or Transactions(database)
        self.sqlite = database.is_sqlite

    # -- helpers

    def _moment(self) -> datetime:
        """Now, as GLPI stores it: UTC without fraction of a second."""
        return self.now().astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)

    def _history(self, connection: Connection, now: datetime) -> history.History:
        return history.History(history.actor_name(connection, self.server.users_id_applied), now)

    @staticmethod
    def _lock(connection: Connection, resource_type: str, item_id: int) -> None:
        """Lock the item's row before anything else is read.

        On MariaDB the first plain read of a transaction fixes the snapshot later plain reads
        see: taking the lock first makes them see the last committed state, so a concurrent
        conditional update that got the lock first is seen and this one fails If-Match.
        """
        table = tables.users if resource_type == USER else tables.groups
        connection.execute(select(table.c.id).where(table.c.id == item_id).with_for_update())

    def _reader(self, connection: Connection, resource_type: str) -> UserReader | GroupReader:
        if resource_type == USER:
            return UserReader(connection, self.server, self.sqlite)
        if resource_type == GROUP:
            return GroupReader(connection, self.server, self.sqlite)
        raise NotFound(f"unknown resource type {resource_type}")

    # -- ResourceStore

    def get(
        self, resource_type: str, resource_id: str, *, skip: frozenset[str] = frozenset()
    ) -> Resource:
        item_id = _item_id(resource_type, resource_id)
        return self.transactions.run(
            lambda connection: self._reader(connection, resource_type).one(item_id, skip=skip),
            read_only=True,
        )

    def list(self, resource_type: str, query: ListQuery) -> Page:
        def work(connection: Connection) -> Page:
            reader = self._reader(connection, resource_type)
            total, resources = reader.page(
                query.filter,
                query.sort_by,
                query.descending,
                query.start_index,
                query.count,
                query.skip,
            )
            return Page(total, resources)

        return self.transactions.run(work, read_only=True)

    def create(self, resource_type: str, resource: Resource) -> Resource:
        if resource_type == USER:
            user_values = mapping.split_user(resource)

            def create_user(connection: Connection) -> Resource:
                now = self._moment()
                log = self._history(connection, now)
                writer = UserWriter(connection, self.server, now, log, self.sqlite)
                user_id = writer.create(user_values)
                log.flush(connection)
                return UserReader(connection, self.server, self.sqlite).one(user_id)

            return self.transactions.run(create_user)
        if resource_type == GROUP:
            group_values = mapping.split_group(resource)

            def create_group(connection: Connection) -> Resource:
                now = self._moment()
                log = self._history(connection, now)
                writer = GroupWriter(connection, self.server, now, log, self.sqlite)
                group_id = writer.create(group_values)
                log.flush(connection)
                return GroupReader(connection, self.server, self.sqlite).one(group_id)

            return self.transactions.run(create_group)
        raise NotFound(f"unknown resource type {resource_type}")

    def update(
        self,
        resource_type: str,
        resource_id: str,
        mutate: Mutation,
        *,
        if_match: str | None = None,
    ) -> Resource:
        item_id = _item_id(resource_type, resource_id)

        def work(connection: Connection) -> Resource:
            self._lock(connection, resource_type, item_id)
            now = self._moment()
            log = self._history(connection, now)
            reader = self._reader(connection, resource_type)
            if resource_type == USER:
                writer: Any = UserWriter(connection, self.server, now, log, self.sqlite)
            else:
                writer = GroupWriter(connection, self.server, now, log, self.sqlite)
            row = writer.current(item_id)  # locks the row first: concurrent updates queue here
            current = reader.one(item_id)
            _check_version(current, if_match)
            wanted = mutate(current)
            if resource_type == USER:
                values = mapping.split_user(wanted)
                if values.active is False and row.is_active:
                    guard.count_removal(
                        connection, self.server, USER, item_id, f"deactivation of User {item_id}"
                    )
                writer.apply(row, values)
            else:
                group_values = mapping.split_group(wanted)
                if group_values.member_ids is None:  # the new state has no members: none remain
                    group_values.member_ids = []
                writer.apply(row, group_values)
            log.flush(connection)
            return reader.one(item_id)

        return self._run_removal(work)

    def change_members(
        self, group_id: str, change: MemberChange, *, if_match: str | None = None
    ) -> None:
        item_id = _item_id(GROUP, group_id)

        def work(connection: Connection) -> None:
            self._lock(connection, GROUP, item_id)
            now = self._moment()
            log = self._history(connection, now)
            writer = GroupWriter(connection, self.server, now, log, self.sqlite)
            row = writer.current(item_id)
            if if_match is not None:
                reader = GroupReader(connection, self.server, self.sqlite)
                _check_version(reader.one(item_id, skip=frozenset({"members"})), if_match)
            writer.change_members(row, change)
            log.flush(connection)

        self.transactions.run(work)

    def count_members(self, group_id: str, *, up_to: int) -> int:
        item_id = _item_id(GROUP, group_id)

        def work(connection: Connection) -> int:
            return GroupReader(connection, self.server, self.sqlite).count_members(item_id, up_to)

        return self.transactions.run(work, read_only=True)

    def delete(self, resource_type: str, resource_id: str, *, if_match: str | None = None) -> None:
        item_id = _item_id(resource_type, resource_id)

        def work(connection: Connection) -> None:
            self._lock(connection, resource_type, item_id)
            now = self._moment()
            log = self._history(connection, now)
            reader = self._reader(connection, resource_type)
            if resource_type == USER:
                users = UserWriter(connection, self.server, now, log, self.sqlite)
                row = users.current(item_id)
                resource = reader.one(item_id)  # NotFound when already deleted
                _check_version(resource, if_match)
                policy = self.server.delete_policy
                guard.count_removal(
                    connection, self.server, USER, item_id, f"DELETE User {item_id} ({policy})"
                )
                if policy == "purge":
                    users.purge(row)
                elif policy == "deactivate":
                    users.deactivate(row)
                else:
                    users.trash(row)
            else:
                groups = GroupWriter(connection, self.server, now, log, self.sqlite)
                row = groups.current(item_id)
                if if_match is not None:
                    _check_version(reader.one(item_id, skip=frozenset({"members"})), if_match)
                guard.count_removal(
                    connection, self.server, GROUP, item_id, f"DELETE Group {ids.group_id(item_id)}"
                )
                groups.purge(row)
            log.flush(connection)

        self._run_removal(work)

    def _run_removal(self, work: Callable[[Connection], T]) -> T:
        """`work` in a transaction; a removal the mass-change guard refuses rolls it back and
        is recorded in a transaction of its own."""
        try:
            return self.transactions.run(work)
        except guard.GuardTripped as refusal:
            tripped = refusal
            self.transactions.run(lambda connection: guard.record_refusal(connection, tripped))
            raise
