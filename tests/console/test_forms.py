"""Reading the server form into a ServerInput: only what differs from the server's settings."""

from __future__ import annotations

import pytest

from glpi_scim.console.forms import form_of, is_empty, server_input
from glpi_scim.identity.errors import InvalidServerSetting
from glpi_scim.identity.models import IdentityServer, ServerOptions

SERVER = IdentityServer(
    id=3,
    name="Okta",
    users_id_applied=2,
    log_requests=True,
    allowed_networks=("10.0.0.0/8",),
    options=ServerOptions.from_json(
        {"adopt": "never", "protected_logins": ["boss"], "members_patch_no_content": True}
    ),
)


def test_the_form_of_a_server_sent_back_unchanged_changes_nothing() -> None:
    form = dict(form_of(SERVER, max_removals="50/10m").values)
    given = server_input(form, SERVER, "50/10m")
    assert is_empty(given), given


def test_each_changed_field_becomes_part_of_the_input() -> None:
    form = dict(form_of(SERVER, max_removals="50/10m").values)
    form.update(
        networks="10.0.0.0/8\n192.0.2.0/24",
        protected="boss\nceo",
        options='{"tolerated_extensions": ["urn:x"]}',
        max_removals="10/1h",
        log_requests="",
    )
    form.pop("log_requests")
    given = server_input(form, SERVER, "50/10m")
    assert given.log_requests is False and given.active is None and given.name is None
    assert given.clear_networks and given.add_networks == ("10.0.0.0/8", "192.0.2.0/24")
    assert given.protect == ("ceo",) and given.unprotect == ()
    assert given.set_options == {"tolerated_extensions": ["urn:x"]}
    assert given.unset_options == ("members_patch_no_content",)
    assert given.max_removals == "10/1h"


def test_options_that_have_a_field_of_their_own_or_are_no_object_are_refused() -> None:
    form = dict(form_of(SERVER).values)
    for text, words in (
        ("[1, 2]", "a JSON object"),
        ("{bad", "not a JSON object"),
        ('{"adopt": "never"}', "has a field of its own"),
    ):
        with pytest.raises(InvalidServerSetting, match=words):
            server_input({**form, "options": text}, SERVER, "50/10m")


def test_a_new_server_gets_every_field_and_no_removal() -> None:
    form = dict(form_of(None).values, name="Entra", applied_user="glpi")
    given = server_input(form, None, "50/10m")
    assert (given.name, given.applied_user, given.security) == ("Entra", "glpi", "bearer")
    assert given.active is True and given.default is None and not given.clear_networks
    assert given.username is None and given.password is None  # bearer: no credentials


def test_emptying_the_public_url_gives_it_back_to_the_setting() -> None:
    server = IdentityServer(
        id=4,
        name="x",
        users_id_applied=2,
        options=ServerOptions.from_json({"public_url": "https://a"}),
    )
    form = dict(form_of(server).values)
    assert form["public_url"] == "https://a"
    assert is_empty(server_input(form, server, "50/10m"))
    given = server_input({**form, "public_url": ""}, server, "50/10m")
    assert given.unset_options == ("public_url",) and given.public_url is None
    moved = server_input({**form, "public_url": "https://b"}, server, "50/10m")
    assert moved.public_url == "https://b" and moved.unset_options == ()
