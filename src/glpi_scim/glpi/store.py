"""GlpiStore: the SCIM ResourceStore on GLPI's own tables, for one identity server.

Each call is one transaction (see transaction.py): it reads, checks (If-Match, uniqueness,
references), writes GLPI's rows and history, and returns the resource as GLPI now holds it: a
user's create, PATCH and PUT build it from what they read and wrote (UserReader.answer); a
group's from its locked row, what it wrote and one statement for its version and members
(`_group_answer`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import Connection, Row

from glpi_scim.db.database import Database
from glpi_scim.db.localwrites import SERVERS, local_writes
from glpi_scim.db.transaction import Transactions
from glpi_scim.glpi import creation, group_facts, guard, history, ids, mapping, memberships, owners
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.group_facts import GroupFacts, Wanted
from glpi_scim.glpi.groups import LOCKED_GROUP, GroupReader, GroupWriter, Rebuilt
from glpi_scim.glpi.policy import Action, Policy, ProtectedAccountsCache, authorizations_of
from glpi_scim.glpi.user_parts import DropdownName, dropdown_names
from glpi_scim.glpi.users import UserReader, UserWriter
from glpi_scim.identity.models import IdentityServer
from glpi_scim.metrics import GUARD_TRIPS
from glpi_scim.scim.errors import NotFound, PreconditionFailed
from glpi_scim.scim.store import (
    GROUP,
    USER,
    ListQuery,
    MemberChange,
    MemberReply,
    Mutation,
    Page,
    Preview,
    Resource,
)
from glpi_scim.scim.values import etag_matches

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


# What each delete policy does to a user, for GLPI's rules.
_DELETE_ACTIONS: dict[str, Action] = {"purge": "purge", "deactivate": "deactivate"}


@dataclass
class _UserWrite:
    """A user's PATCH, PUT or DELETE once the user is read (GlpiStore._begin_user_write)."""

    reader: UserReader
    current: Resource  # the user as SCIM sees it, read with its lock
    row: Row[Any]  # its glpi_users row with its owner and all the SCIM document shows of it
    log: history.History
    policy: Policy
    writer: UserWriter

    def check(self, action: Action) -> None:
        """Ownership, protection and GLPI's rules for `action` on the user (policy.py)."""
        row = self.row
        self.policy.check_user(
            row.id, _login(row), action, is_active=bool(row.is_active), owner=owners.owner_in(row)
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
        notes: list[str] | None = None,
        actor_names: history.ActorNames | None = None,
        protected_accounts: ProtectedAccountsCache | None = None,
    ):
        self.database = database
        self.server = server
        # Request-log notes of this request (adoptions, passwords not written).
        self.notes = notes if notes is not None else []
        self.now = now
        self.transactions = transactions or Transactions(database)
        # Shared by the stores of one process (ScimServiceFactory); without it, read per write.
        self.actor_names = actor_names or history.ActorNames(0)
        self.protected_accounts = protected_accounts or ProtectedAccountsCache(0)
        self._local_writes = local_writes(database.engine)
        self.sqlite = database.is_sqlite

    # -- helpers

    def _moment(self) -> datetime:
        """Now, as GLPI stores it: UTC without fraction of a second."""
        return self.now().astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)

    def _history(self, connection: Connection, now: datetime) -> history.History:
        return history.History(self.actor_names.name(connection, self.server.users_id_applied), now)

    def _policy(
        self, connection: Connection, now: datetime, log: history.History, notes: list[str]
    ) -> Policy:
        version = self._local_writes.version(SERVERS)
        return Policy(
            connection,
            self.server,
            now,
            log,
            notes,
            protected=lambda read_with: self.protected_accounts.get(read_with, version),
        )

    def _begin_user_write(
        self,
        connection: Connection,
        notes: list[str],
        user_id: int,
        dropdowns: Sequence[DropdownName] = (),
    ) -> _UserWrite:
        """The start of a PATCH, PUT or DELETE of a user: the user read first, locked, with its
        owner and parts (NotFound outside the server's scope; concurrent writes queue here),
        then the write's history, policy (given both users' rights read with the parts) and
        writer (given the row and e-mail rows to compare with, and the rows of the
        `dropdowns` names its request gave)."""
        reader = UserReader(connection, self.server, self.sqlite)
        current, row = reader.locked(user_id, self.server.users_id_applied, dropdowns)
        now = self._moment()
        log = self._history(connection, now)
        policy = self._policy(connection, now, log, notes)
        parts = reader.parts
        assert parts is not None  # locked() rendered the user
        policy.known_authorizations = authorizations_of(
            [user_id, policy.actor], parts.authorizations
        )
        writer = UserWriter(connection, self.server, now, log, self.sqlite)
        writer.policy = policy
        writer.seen = row  # the write compares with it, and answers from it
        writer.seen_emails = parts.email_rows[user_id]
        writer.dropdown_rows = parts.dropdown_rows
        return _UserWrite(reader, current, row, log, policy, writer)

    def _run_checked(self, work: Callable[[Connection, list[str]], T]) -> T:
        """Run a write with its policy notes, kept only once the transaction committed (a
        retried transaction would note twice)."""
        attempt: list[list[str]] = []

        def run(connection: Connection) -> T:
            notes: list[str] = []
            attempt[:] = [notes]
            return work(connection, notes)

        try:
            result = self.transactions.run(run)
        except guard.GuardTripped as refusal:
            # The refused removal rolled back; its refusal is recorded on its own.
            tripped = refusal
            self.transactions.run(lambda connection: guard.record_refusal(connection, tripped))
            GUARD_TRIPS.labels(server=str(self.server.id)).inc()
            raise
        if attempt:
            self.notes.extend(attempt[0])
        return result

    def _lock_group(self, connection: Connection, group_id: int) -> tuple[Row[Any], GroupReader]:
        """The group's GLPI row, locked until commit, read before anything else, with its
        owner, tool row and own fingerprint values (groups.py's LOCKED_GROUP), and a reader;
        NotFound outside the server's scope. A user's is UserReader.locked.

        On MariaDB the first plain read of a transaction fixes the snapshot later plain reads
        see: taking the lock first makes them see the last committed state, so a concurrent
        conditional update that got the lock first is seen and this one fails If-Match.
        """
        parameters = {"group_id": group_id, "server_id": self.server.id}
        row = connection.execute(LOCKED_GROUP, parameters).first()
        reader = GroupReader(connection, self.server, self.sqlite)
        if row is None or not reader.sees(row):
            raise NotFound(f"{GROUP} {ids.group_id(group_id)} not found")
        return row, reader

    def _group_facts(
        self, connection: Connection, reader: GroupReader, group_id: int, wanted: Wanted
    ) -> GroupFacts:
        """What a change of the locked group (or a create: `group_id` 0) reads before
        writing, or to answer (group_facts.py)."""
        return group_facts.read(
            connection,
            server_id=self.server.id,
            scope=reader.scope,
            sqlite=self.sqlite,
            group_id=group_id,
            actor=self.server.users_id_applied,
            wanted=wanted,
        )

    def _begin_group_write(
        self,
        connection: Connection,
        notes: list[str],
        row: Row[Any],
        found: GroupFacts,
        *,
        purge: bool,
    ) -> GroupWriter:
        """Past a change's reads of a locked group: ownership, protection and GLPI's rules
        (the applied user's rights read with the facts), then the writer, with its history."""
        now = self._moment()
        log = self._history(connection, now)
        policy = self._policy(connection, now, log, notes)
        policy.check_group(
            row.id,
            _name(row),
            row.entities_id,
            purge=purge,
            owner=owners.owner_in(row),
            actor=found.actor,
        )
        writer = GroupWriter(connection, self.server, now, log, self.sqlite)
        writer.policy = policy
        return writer

    def _group_answer(
        self,
        connection: Connection,
        reader: GroupReader,
        seen: Mapping[Any, Any],
        written: dict[str, Any],
        skip: frozenset[str],
        *,
        known: Rebuilt | None = None,
    ) -> Resource:
        """A changed group as a GET would now read it: its locked row (`seen`, empty for a
        new group) with what the change wrote, and one statement for its version's values and
        its members (group_facts.py); none when the change knows them (GroupWriter.rebuilt:
        a group rebuilt from the members it read, on a database that returns what it inserts).
        """
        if known is not None:
            answered = {**seen, **written, **known.own}
            members_now = None if "members" in skip else known.members
            return reader.locked_resource(answered, known.shared, members_now)
        members = "members" not in skip
        group_id = int(written.get("id") or seen["id"])
        wanted = Wanted(shared=True, members=members, own=True, rights=False)
        found = self._group_facts(connection, reader, group_id, wanted)
        assert found.shared_fingerprint is not None and found.own_fingerprint is not None
        labels = memberships.FINGERPRINT_LABELS[:2]
        answered = {
            **seen,
            **written,
            **dict(zip(labels, found.own_fingerprint, strict=True)),
        }
        return reader.locked_resource(answered, found.shared_fingerprint, found.members)

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

            def create_user(connection: Connection, notes: list[str]) -> Resource:
                now = self._moment()
                log = self._history(connection, now)
                policy = self._policy(connection, now, log, notes)
                facts = creation.read(connection, self.server, user_values, self.sqlite)
                policy.check_create_user(facts.actor)
                writer = UserWriter(connection, self.server, now, log, self.sqlite)
                writer.policy = policy
                user_id = writer.create(user_values, facts)
                log.flush(connection)
                reader = UserReader(connection, self.server, self.sqlite)
                if writer.inserted is not None:  # a new row: answered from what was written
                    return reader.answer_new(writer.inserted)
                return reader.one(user_id)  # a user brought back keeps its groups

            return self._run_checked(create_user)
        if resource_type == GROUP:
            group_values = mapping.split_group(resource)

            def create_group(connection: Connection, notes: list[str]) -> Resource:
                reader = GroupReader(connection, self.server, self.sqlite)
                # The version's shared values, read ahead: the answer needs them, and the
                # members are the ones this create adds.
                wanted = Wanted(
                    adding=group_values.member_ids,
                    new_name=group_values.name,
                    external_id=group_values.external_id,
                    shared=True,
                )
                found = self._group_facts(connection, reader, 0, wanted)
                now = self._moment()
                log = self._history(connection, now)
                policy = self._policy(connection, now, log, notes)
                policy.check_create_group(found.actor)
                writer = GroupWriter(connection, self.server, now, log, self.sqlite)
                writer.policy = policy
                group_id = writer.create(group_values, found)
                logged = log.flush(connection, ids_of=(history.GROUP, group_id))
                known = writer.created(found, logged)
                return self._group_answer(
                    connection, reader, {}, writer.after, frozenset(), known=known
                )

            return self._run_checked(create_group)
        raise NotFound(f"unknown resource type {resource_type}")

    def update(
        self,
        resource_type: str,
        resource_id: str,
        mutate: Mutation,
        *,
        if_match: str | None = None,
        preview: Preview | None = None,
    ) -> Resource:
        item_id = _item_id(resource_type, resource_id)
        if resource_type == USER:
            return self._update_user(item_id, mutate, if_match, dropdown_names(preview))
        if resource_type != GROUP:
            raise NotFound(f"unknown resource type {resource_type}")

        def work(connection: Connection, notes: list[str]) -> Resource:
            row, reader = self._lock_group(connection, item_id)  # concurrent updates queue here
            wanted = Wanted(shared=True, members=True)
            found = self._group_facts(connection, reader, item_id, wanted)
            assert found.shared_fingerprint is not None and found.members is not None
            current = reader.locked_resource(row._mapping, found.shared_fingerprint, found.members)
            _check_version(current, if_match)
            group_values = mapping.split_group(mutate(current))
            if group_values.member_ids is None:  # the new state has no members: none remain
                group_values.member_ids = []
            writer = self._begin_group_write(connection, notes, row, found, purge=False)
            writer.apply(row, group_values, [member for member, _ in found.members])
            logged = writer.log.flush(connection, ids_of=(history.GROUP, item_id))
            known = writer.rebuilt(row, found, logged)
            return self._group_answer(
                connection, reader, row._mapping, writer.after, frozenset(), known=known
            )

        return self._run_checked(work)

    def _update_user(
        self,
        item_id: int,
        mutate: Mutation,
        if_match: str | None,
        dropdowns: Sequence[DropdownName],
    ) -> Resource:
        def work(connection: Connection, notes: list[str]) -> Resource:
            write = self._begin_user_write(connection, notes, item_id, dropdowns)
            row = write.row
            _check_version(write.current, if_match)
            user_values = mapping.split_user(mutate(write.current))
            deactivating = bool(row.is_active) and user_values.active is False
            write.check("deactivate" if deactivating else "update")
            if deactivating:
                guard.count_removal(
                    connection, self.server, USER, item_id, f"deactivation of User {item_id}"
                )
            write.writer.apply(row, user_values)
            write.log.flush(connection)
            assert write.writer.written is not None  # set by apply
            return write.reader.answer(row, write.writer.written)

        return self._run_checked(work)

    def change_members(
        self,
        group_id: str,
        change: MemberChange,
        *,
        if_match: str | None = None,
        reply: MemberReply | None = None,
    ) -> Resource | None:
        item_id = _item_id(GROUP, group_id)

        def work(connection: Connection, notes: list[str]) -> Resource | None:
            row, reader = self._lock_group(connection, item_id)
            simple = change.replace is None and not change.remove_all
            removing = mapping.removed_ids(change.remove) if simple else []
            answers = reply is not None and reply.limit != 0  # the group may be sent back
            # Past this many links before the edit, the group has more than the limit after.
            bound = None
            if reply is not None and reply.limit and simple:
                bound = reply.limit + len(removing) + 1
            wanted = Wanted(
                adding=mapping.member_ids(list(change.add)) if simple else [],
                removing=removing,
                count_up_to=bound,
                # The version's shared values: for If-Match, and for an answer (with the
                # links of a group under the bound only, where the edit counts them).
                shared=if_match is not None or (answers and bound is None),
                # A replace needs the list; an answer lists it.
                members=not simple or (answers and bound is None),
                members_if_small=answers,
            )
            found = self._group_facts(connection, reader, item_id, wanted)
            if if_match is not None:
                assert found.shared_fingerprint is not None
                current = reader.locked_resource(row._mapping, found.shared_fingerprint)
                _check_version(current, if_match)
            writer = self._begin_group_write(connection, notes, row, found, purge=False)
            writer.change_members(row, change, found)
            logged = writer.log.flush(connection, ids_of=(history.GROUP, item_id))
            if reply is None or not answers:
                return None
            known = writer.rebuilt(row, found, logged)
            if reply.limit is not None:
                members = _members_after(found, writer.links_delta, bound)
                if members is None:
                    members = writer.links_after(found)
                if members is None:
                    members = reader.count_members(item_id, reply.limit + 1)
                if not reply.wants(members):
                    return None
            return self._group_answer(
                connection, reader, row._mapping, writer.after, reply.skip, known=known
            )

        return self._run_checked(work)

    def delete(self, resource_type: str, resource_id: str, *, if_match: str | None = None) -> None:
        item_id = _item_id(resource_type, resource_id)

        def work(connection: Connection, notes: list[str]) -> None:
            if resource_type == USER:
                write = self._begin_user_write(connection, notes, item_id)
                _check_version(write.current, if_match)
                policy = self.server.delete_policy
                write.check(_DELETE_ACTIONS.get(policy, "delete"))
                guard.count_removal(
                    connection, self.server, USER, item_id, f"DELETE User {item_id} ({policy})"
                )
                users, row = write.writer, write.row
                if policy == "purge":
                    users.purge(row)
                elif policy == "deactivate":
                    users.deactivate(row)
                else:
                    users.trash(row)
                write.log.flush(connection)
                return
            row, reader = self._lock_group(connection, item_id)
            wanted = Wanted(shared=if_match is not None)
            found = self._group_facts(connection, reader, item_id, wanted)
            if found.shared_fingerprint is not None:
                current = reader.locked_resource(row._mapping, found.shared_fingerprint)
                _check_version(current, if_match)
            writer = self._begin_group_write(connection, notes, row, found, purge=True)
            guard.count_removal(
                connection, self.server, GROUP, item_id, f"DELETE Group {ids.group_id(item_id)}"
            )
            writer.purge(row)
            writer.log.flush(connection)

        self._run_checked(work)


def _members_after(found: GroupFacts, delta: int | None, bound: int | None) -> int | None:
    """The group's links after a member edit, from those counted before it (up to `bound`)
    and the edit's own; None when not known (a replace, or nothing counted)."""
    if delta is None or bound is None or found.links_counted is None:
        return None
    if found.links_counted >= bound:
        return found.links_counted  # more than the limit, and the edit's removals cannot undo it
    return found.links_counted + delta


def _login(row: Any) -> str:
    return glpi_text.decode(row.name or "")


def _name(row: Any) -> str:
    return glpi_text.decode(row.name or "")
