"""An upgrade from the first release changes no identity provider's access: a server that wrote
a user before ownership was recorded still writes it afterwards, and no other server does."""

from __future__ import annotations

from alembic import command
from sqlalchemy import select

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.db.migrations import alembic_config, head_revision
from glpi_scim.db.schema import ensure_tool_schema
from idp.support import Glpi

from .conftest import MakeIdp
from .support import new_group, new_user, replace


def test_after_the_upgrade_each_server_keeps_writing_what_it_wrote_before(
    make_idp: MakeIdp, glpi: Glpi, glpi_database: Database
) -> None:
    okta, okta_server = make_idp("Okta")
    entra, _ = make_idp("Entra")
    user = okta.post("/Users", new_user("alice", externalId="okta-alice")).expect(201)
    group = okta.post("/Groups", new_group("Sales", externalId="okta-sales")).expect(201)
    # Back to the first release's schema: no ownership table, only the rows it kept
    # (externalId and stored attributes per server).
    with glpi_database.begin() as connection:
        command.downgrade(alembic_config(connection), "0001")
    with glpi_database.begin() as connection:
        assert not glpi_database.engine.dialect.has_table(connection, tables.owners.name)
    assert ensure_tool_schema(glpi_database) == head_revision()

    owners = tables.owners
    with glpi_database.begin() as connection:
        found = connection.execute(
            select(owners.c.itemtype, owners.c.servers_id, owners.c.origin)
            .where(owners.c.servers_id == okta_server.id)
            .order_by(owners.c.itemtype)
        ).all()
    assert [tuple(row) for row in found] == [
        ("Group", okta_server.id, "migrated"),
        ("User", okta_server.id, "migrated"),
    ]
    # The IdP that wrote them goes on as before ...
    okta.patch(f"/Users/{user['id']}", replace("name.familyName", "Upgraded")).expect(200)
    okta.patch(f"/Groups/{group['id']}", replace("displayName", "Sales EU")).expect(200, 204)
    # ... and another one is refused, naming the owner.
    detail = entra.patch(f"/Users/{user['id']}", replace("active", False)).expect_error(403)
    assert f"belongs to identity server 'Okta' (id {okta_server.id})" in detail["detail"]
    entra.delete(f"/Groups/{group['id']}").expect_error(403)
    row = glpi.user(user["id"])
    assert (row["realname"], row["is_active"]) == ("Upgraded", 1)
