"""ServerService: every rule about an identity server's settings, with readable refusals."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from glpi_scim.db import tables
from glpi_scim.db.database import Database
from glpi_scim.identity.errors import DuplicateServerName, InvalidServerSetting, ServerNotFound
from glpi_scim.security.credentials import digest_ha1, verify_secret
from glpi_scim.security.methods.bearer import decode_token
from glpi_scim.security.model import REALM, AuthenticationFailed
from glpi_scim.servers.service import ServerInput, ServerOutcome, ServerService
from glpi_scim.servers.tokens import TokenRepository

PASSWORD = "correct horse battery"


@pytest.fixture
def service(database: Database) -> ServerService:
    return ServerService(database)


def add(service: ServerService, name: str = "entra", **settings: Any) -> ServerOutcome:
    settings.setdefault("applied_user", "glpi")
    return service.add(ServerInput(name=name, **settings))


def test_defaults_of_a_new_server(service: ServerService) -> None:
    outcome = service.add(ServerInput(name=" Entra ID ", applied_user="glpi"))
    server = outcome.server
    assert server.name == "Entra ID"
    assert server.users_id_applied == 2
    assert server.is_active and not server.is_default and not server.log_requests
    assert server.auth_method == "bearer" and outcome.needs_first_token
    assert server.entities_id == 0 and server.profiles_id == 0
    assert server.delete_policy == "trash" and not server.password_sync
    assert len(server.signing_key) >= 64
    assert service.get(server.id) == server


def test_every_setting_is_stored(service: ServerService) -> None:
    outcome = service.add(
        ServerInput(
            name="okta",
            applied_user="tech",
            active=False,
            log_requests=True,
            default=True,
            security="basic",
            username="okta-scim",
            password=PASSWORD,
            add_networks=("203.0.113.0/24", "198.51.100.7"),
            entity="Root entity",
            profile="Technician",
            recursive=True,
            password_sync=True,
            delete_policy="purge",
            set_options={"ignore_groups": True},
        )
    )
    server = service.get("okta")
    assert server == outcome.server
    assert (server.users_id_applied, server.entities_id, server.profiles_id) == (4, 0, 6)
    assert not server.is_active and server.log_requests and server.is_default
    assert server.allowed_networks == ("203.0.113.0/24", "198.51.100.7/32")
    assert server.is_recursive and server.password_sync and server.delete_policy == "purge"
    assert server.options.as_json() == {"ignore_groups": True}
    view = service.view(server)
    assert (view.applied_user.name, view.entity.name, view.profile.name) == (
        "tech",
        "Root entity",
        "Technician",
    )


def test_applied_user_by_id_or_login_must_exist_and_not_be_trashed(
    database: Database, service: ServerService
) -> None:
    assert add(service, "by-id", applied_user="4").server.users_id_applied == 4
    assert add(service, "by-login", applied_user="Post-Only").server.users_id_applied == 3
    with pytest.raises(InvalidServerSetting, match="applied user 'nobody': no GLPI user"):
        add(service, "x", applied_user="nobody")
    with pytest.raises(InvalidServerSetting, match="'999'"):
        add(service, "x", applied_user="999")
    with database.begin() as connection:
        connection.execute(update(tables.users).where(tables.users.c.id == 5).values(is_deleted=1))
    with pytest.raises(InvalidServerSetting, match="trash"):
        add(service, "x", applied_user="normal")
    assert [s.name for s in service.list_all()] == ["by-id", "by-login"]


def test_entity_and_profile_must_exist(service: ServerService) -> None:
    with pytest.raises(InvalidServerSetting, match="entity '7': no GLPI entity"):
        add(service, entity="7")
    with pytest.raises(InvalidServerSetting, match="entity 'Paris'"):
        add(service, entity="Paris")
    with pytest.raises(InvalidServerSetting, match="profile '99': no GLPI profile"):
        add(service, profile="99")
    with pytest.raises(InvalidServerSetting, match="profile 'Wizard'"):
        add(service, profile="Wizard")
    assert service.list_all() == []
    server = add(service, profile="0").server
    assert service.view(server).profile.name == "GLPI's default: Self-Service"


def test_entity_and_profile_names_are_read_as_glpi_stores_them(
    database: Database, service: ServerService
) -> None:
    with database.begin() as connection:
        connection.execute(
            tables.entities.insert().values(
                id=1,
                name="R&#38;D",
                entities_id=0,
                completename="Root entity &#62; R&#38;D",
                level=2,
            )
        )
    server = add(service, entity="r&d").server
    assert server.entities_id == 1
    assert service.view(server).entity.name == "Root entity > R&D"
    assert add(service, "other", entity="Root entity > R&D").server.entities_id == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("123", "only digits"),
        ("x" * 256, "longer than 255"),
        ("tab\there", "control characters"),
    ],
)
def test_bad_names(service: ServerService, name: str, message: str) -> None:
    with pytest.raises(InvalidServerSetting, match=message):
        add(service, name)


def test_duplicate_names_whatever_their_case(service: ServerService) -> None:
    add(service, "Okta")
    with pytest.raises(DuplicateServerName, match="'OKTA' already exists"):
        add(service, "OKTA")
    other = add(service, "other").server
    with pytest.raises(DuplicateServerName):
        service.edit(other.id, ServerInput(name="okta"))
    # Renaming a server to a new case of its own name is fine.
    assert service.edit("okta", ServerInput(name="OKTA")).server.name == "OKTA"


def test_making_a_server_default_clears_the_other_and_says_so(service: ServerService) -> None:
    first = add(service, "first", default=True)
    assert first.notes == []
    second = add(service, "second", default=True)
    assert second.notes == [
        f"'first' (id {first.server.id}) is no longer the default server; 'second' is"
    ]
    assert [s.is_default for s in service.list_all()] == [False, True]
    outcome = service.edit("second", ServerInput(default=False))
    assert any("no default server" in note for note in outcome.notes)
    assert not any(s.is_default for s in service.list_all())


def test_networks_are_validated_added_removed_and_cleared(service: ServerService) -> None:
    with pytest.raises(InvalidServerSetting, match=r"'10\.0\.0\.300' is not an IP address"):
        add(service, add_networks=("10.0.0.300",))
    with pytest.raises(InvalidServerSetting, match=r"host bits set; did you mean 10\.0\.0\.0/8"):
        add(service, add_networks=("10.1.2.3/8",))
    server = add(service, add_networks=("10.0.0.0/8", "10.0.0.0/8")).server
    assert server.allowed_networks == ("10.0.0.0/8",)
    server = service.edit(server.id, ServerInput(add_networks=("192.0.2.0/24",))).server
    assert server.allowed_networks == ("10.0.0.0/8", "192.0.2.0/24")
    server = service.edit(server.id, ServerInput(remove_networks=("10.0.0.0/8",))).server
    assert server.allowed_networks == ("192.0.2.0/24",)
    with pytest.raises(InvalidServerSetting, match="not in the allowed networks"):
        service.edit(server.id, ServerInput(remove_networks=("10.0.0.0/8",)))
    server = service.edit(server.id, ServerInput(clear_networks=True)).server
    assert server.allowed_networks == ()
    assert service.get(server.id).allowed_networks == ()


def test_options_set_and_unset(service: ServerService) -> None:
    server = add(service, set_options={"a": 1, "b": "x"}).server
    server = service.edit(
        server.id, ServerInput(unset_options=("a",), set_options={"c": [1]})
    ).server
    assert service.get(server.id).options.as_json() == {"b": "x", "c": [1]}
    with pytest.raises(InvalidServerSetting, match="option 'zzz' is not set"):
        service.edit(server.id, ServerInput(unset_options=("zzz",)))
    with pytest.raises(InvalidServerSetting, match="option name '1bad'"):
        service.edit(server.id, ServerInput(set_options={"1bad": 1}))


def test_unknown_server_on_edit(service: ServerService) -> None:
    with pytest.raises(ServerNotFound, match="'nope'"):
        service.edit("nope", ServerInput(active=False))


def test_basic_credentials_are_hashed_and_generated_when_missing(service: ServerService) -> None:
    outcome = add(service, security="basic", username="idp", password=PASSWORD)
    server = outcome.server
    assert outcome.credentials.username == "idp" and not outcome.credentials.generated
    assert PASSWORD not in (server.auth_secret or "")
    assert verify_secret(PASSWORD, service.get(server.id).auth_secret)

    generated = add(service, "gen", security="basic").credentials
    assert generated.generated and len(generated.password) >= 24
    assert generated.username.startswith("scim-")
    assert verify_secret(generated.password, service.get("gen").auth_secret)


def test_digest_credentials_store_ha1_only(service: ServerService) -> None:
    outcome = add(service, security="digest", username="idp", password=PASSWORD)
    stored = json.loads(service.get(outcome.server.id).auth_secret)
    assert stored["ha1"]["SHA-256"] == digest_ha1("SHA-256", "idp", REALM, PASSWORD)
    assert PASSWORD not in json.dumps(stored)


def test_credential_rules(service: ServerService) -> None:
    with pytest.raises(InvalidServerSetting, match="at least 12"):
        add(service, security="basic", password="short")
    with pytest.raises(InvalidServerSetting, match="':'"):
        add(service, security="basic", username="a:b")
    with pytest.raises(InvalidServerSetting, match="only apply to basic and digest"):
        add(service, security="bearer", password=PASSWORD)
    with pytest.raises(InvalidServerSetting, match="unknown security method 'kerberos'"):
        add(service, security="kerberos")
    with pytest.raises(InvalidServerSetting, match="unknown delete policy 'shred'"):
        add(service, delete_policy="shred")
    assert service.list_all() == []


def test_changing_password_or_method_renews_credentials(service: ServerService) -> None:
    server = add(service, security="basic", username="idp", password=PASSWORD).server
    # Unrelated edits keep the credentials.
    outcome = service.edit(server.id, ServerInput(log_requests=True))
    assert outcome.credentials is None
    assert service.get(server.id).auth_secret == server.auth_secret
    # A new username needs a new secret: a password is generated.
    outcome = service.edit(server.id, ServerInput(username="idp2"))
    assert outcome.credentials and outcome.credentials.generated
    assert verify_secret(outcome.credentials.password, service.get(server.id).auth_secret)
    # basic -> digest keeps the username, new password.
    outcome = service.edit(server.id, ServerInput(security="digest", password=PASSWORD + "!"))
    assert outcome.credentials and outcome.credentials.username == "idp2"
    assert "ha1" in json.loads(service.get(server.id).auth_secret or "{}")
    # digest -> none forgets them, and warns.
    outcome = service.edit(server.id, ServerInput(security="none"))
    stored = service.get(server.id)
    assert stored.auth_username is None and stored.auth_secret is None
    assert outcome.warnings and "security 'none'" in outcome.warnings[0]


def test_leaving_bearer_revokes_its_tokens(database: Database, service: ServerService) -> None:
    server = add(service).server
    issued = service.issue_token(server, issuer="http://x", lifetime=timedelta(days=1))
    tokens = TokenRepository(database)
    assert not tokens.is_revoked(issued.record.jti)
    outcome = service.edit(server.id, ServerInput(security="oauth2"))
    assert tokens.is_revoked(issued.record.jti)
    assert any("1 bearer token(s)" in note for note in outcome.notes)
    assert any("oauth client add" in note for note in outcome.notes)
    back = service.edit(server.id, ServerInput(security="bearer"))
    assert back.needs_first_token
    assert tokens.is_revoked(issued.record.jti)  # coming back does not revive old tokens


def test_issued_token_is_recorded_and_verifiable(
    database: Database, service: ServerService
) -> None:
    server = add(service).server
    issued = service.issue_token(
        server, issuer="http://x/scim/v2/1", lifetime=timedelta(days=90), comment="okta"
    )
    claims = decode_token(server, issued.token)
    assert claims["jti"] == issued.record.jti
    assert claims["sub"] == f"glpi-scim-server-{server.id}"
    [record] = TokenRepository(database).list_for(server.id)
    assert record == issued.record
    assert record.comment == "okta" and record.status() == "active"
    assert issued.token not in json.dumps(record.as_json())


def test_token_rules(service: ServerService) -> None:
    basic = add(service, "basic", security="basic").server
    with pytest.raises(InvalidServerSetting, match="uses basic security, not bearer"):
        service.issue_token(basic, issuer="x")
    bearer = add(service, "bearer").server
    with pytest.raises(InvalidServerSetting, match="cannot expire after 2038-01-19"):
        service.issue_token(bearer, issuer="x", lifetime=timedelta(days=365 * 20))
    with pytest.raises(InvalidServerSetting, match="cannot expire after"):
        service.issue_token(bearer, issuer="x", lifetime=timedelta(days=999_999_999))
    with pytest.raises(InvalidServerSetting, match="longer than 255"):
        service.issue_token(bearer, issuer="x", comment="c" * 256)


def test_new_signing_key_invalidates_tokens(service: ServerService) -> None:
    server = add(service).server
    issued = service.issue_token(server, issuer="x")
    outcome = service.edit(server.id, ServerInput(new_signing_key=True))
    assert outcome.server.signing_key != server.signing_key
    assert any("no longer works" in note for note in outcome.notes)
    decode_token(server, issued.token)  # valid under the old key
    with pytest.raises(AuthenticationFailed, match="signature"):
        decode_token(outcome.server, issued.token)


def test_remove_and_enable_disable(database: Database, service: ServerService) -> None:
    server = add(service).server
    assert not service.set_active(server.id, False).server.is_active
    assert service.set_active("entra", True).server.is_active
    removed, counts = service.remove("entra")
    assert removed.id == server.id and counts["glpi_plugin_glpiscim_tokens"] == 0
    with pytest.raises(ServerNotFound):
        service.get(server.id)
    with database.begin() as connection:
        users = connection.execute(select(tables.users.c.id).order_by(tables.users.c.id))
        assert users.scalars().all() == [2, 3, 4, 5, 6]


def test_default_token_lifetime_is_ten_years_but_never_past_2038(
    service: ServerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime, timezone

    import glpi_scim.security.methods.bearer as bearer
    import glpi_scim.servers.service as service_module

    server = add(service).server
    now = service_module.utcnow()
    record = service.issue_token(server, issuer="x").record
    assert record.expires_at is not None
    assert abs(record.expires_at - (now + timedelta(days=3650))) < timedelta(minutes=1)

    later = datetime(2031, 6, 1, tzinfo=timezone.utc)
    monkeypatch.setattr(service_module, "utcnow", lambda: later)
    monkeypatch.setattr(bearer, "utcnow", lambda: later)
    record = service.issue_token(server, issuer="x").record
    assert record.expires_at == datetime(2038, 1, 18, 3, 14, 7, tzinfo=timezone.utc)
