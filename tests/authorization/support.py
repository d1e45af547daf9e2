"""Rows a GLPI administrator would have made by hand: entities, users and their profiles."""

from __future__ import annotations

from sqlalchemy import select, update

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.scim.store import Resource

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SUPER_ADMIN, ADMIN, TECHNICIAN, OBSERVER, SELF_SERVICE = 4, 3, 6, 2, 1


class GlpiWriter:
    def __init__(self, database: Database) -> None:
        self.database = database

    def entity(self, name: str, parent: int = 0) -> int:
        entities = tables.entities
        with self.database.begin() as connection:
            top = connection.execute(select(entities.c.id).order_by(entities.c.id.desc())).scalar()
            parent_row = connection.execute(
                select(entities.c.completename, entities.c.level).where(entities.c.id == parent)
            ).one()
            entity_id = int(top or 0) + 1
            connection.execute(
                entities.insert().values(
                    id=entity_id,
                    name=name,
                    entities_id=parent,
                    completename=f"{parent_row.completename} > {name}",
                    level=parent_row.level + 1,
                )
            )
        return entity_id

    def user(
        self,
        login: str,
        profile: int | None = None,
        *,
        entity: int = 0,
        recursive: bool = True,
        authtype: int = 1,
        password: str = "",
        is_deleted: bool = False,
    ) -> int:
        with self.database.begin() as connection:
            result = connection.execute(
                tables.users.insert().values(
                    name=login,
                    authtype=authtype,
                    password=password,
                    is_active=1,
                    is_deleted=int(is_deleted),
                    entities_id=entity,
                )
            )
            user_id = int(result.inserted_primary_key[0])
            if profile is not None:
                connection.execute(
                    tables.profiles_users.insert().values(
                        users_id=user_id,
                        profiles_id=profile,
                        entities_id=entity,
                        is_recursive=int(recursive),
                    )
                )
        return user_id

    def group(self, name: str, entity: int = 0) -> int:
        with self.database.begin() as connection:
            result = connection.execute(
                tables.groups.insert().values(
                    name=name, completename=name, entities_id=entity, level=1, groups_id=0
                )
            )
            return int(result.inserted_primary_key[0])

    def member(self, user_id: int, group_id: int) -> None:
        """A membership made in GLPI (not dynamic)."""
        with self.database.begin() as connection:
            connection.execute(
                tables.groups_users.insert().values(
                    users_id=user_id, groups_id=group_id, is_dynamic=0
                )
            )

    def trash(self, user_id: int) -> None:
        with self.database.begin() as connection:
            connection.execute(
                update(tables.users).where(tables.users.c.id == user_id).values(is_deleted=1)
            )


def new_user(login: str, **fields: object) -> Resource:
    return {"schemas": [USER_SCHEMA], "userName": login, **fields}


def new_group(name: str, **fields: object) -> Resource:
    return {"schemas": [GROUP_SCHEMA], "displayName": name, **fields}


def replace(path: str, value: object) -> dict[str, object]:
    return {"op": "replace", "path": path, "value": value}
