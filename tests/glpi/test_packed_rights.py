"""A write reads both users' profile rights packed, one row per profile link (a GROUP_CONCAT
of about 95 rights) instead of one row per right: on GLPI's own installed profiles it must
give exactly the rights read row by row."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.db.dbapi import PACKED_RIGHTS_MAX
from glpi_scim.glpi.policy import (
    ALL_RIGHTS_QUERY,
    authorizations_of,
    packed_authorization_rows,
    unpack_rights,
)


def test_packed_rights_are_the_rights_read_row_by_row(glpi_database: Database) -> None:
    links = tables.profiles_users
    with glpi_database.engine.connect() as connection:
        # Every profile GLPI's installer made, linked to one user each for the comparison.
        profiles = connection.execute(select(tables.profiles.c.id)).scalars().all()
        user_id = connection.execute(select(tables.users.c.id).limit(1)).scalar_one()
        for profile_id in profiles:
            connection.execute(
                links.insert().values(users_id=user_id, profiles_id=profile_id, entities_id=0)
            )
        ids = connection.execute(select(links.c.users_id).distinct()).scalars().all()
        plain = authorizations_of(ids, connection.execute(ALL_RIGHTS_QUERY, {"ids": ids}))
        statement = packed_authorization_rows(lambda user: user.in_(ids))
        packed = authorizations_of(ids, connection.execute(statement))
        connection.rollback()
    assert packed == plain
    rights = [p.rights for a in packed.values() for p in a.profiles.values()]
    # GLPI gives every profile a row per right: about 95 each, read whole.
    assert len(rights) >= len(profiles) and all(len(r) > 80 for r in rights)


def test_an_unreadable_packing_fails_closed() -> None:
    assert unpack_rights("user=7327,group=119") == {"user": 7327, "group": 119}
    assert unpack_rights(None) == {}
    for broken in ("user", "user=x", "=3", "a=1,b"):
        with pytest.raises(RuntimeError):
            unpack_rights(broken)
    with pytest.raises(RuntimeError, match="cut short"):
        unpack_rights("a=1," * (PACKED_RIGHTS_MAX // 4 + 1))


@pytest.mark.mysql
def test_a_mariadb_session_returns_a_profiles_rights_whole(mysql_database: Database) -> None:
    with mysql_database.engine.connect() as connection:
        limit = connection.execute(text("SELECT @@SESSION.group_concat_max_len")).scalar_one()
    assert int(limit) == PACKED_RIGHTS_MAX
