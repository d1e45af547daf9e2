"""The console's forms, read into the inputs of the services the CLI calls.

A form shows every setting; only what differs from the server's current value becomes part of
the ServerInput, so that saving an unchanged form changes nothing (and asks nothing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from glpi_scim.errors import GlpiScimError
from glpi_scim.identity.errors import InvalidServerSetting
from glpi_scim.identity.models import (
    ADOPT_OPTION,
    PROTECTED_OPTION,
    PUBLIC_URL_OPTION,
    IdentityServer,
)
from glpi_scim.servers.service import ServerInput

MAX_FIELDS = 60
# Options with a field of their own in the form; the options box holds the others.
OWN_FIELD_OPTIONS = (PUBLIC_URL_OPTION, ADOPT_OPTION, PROTECTED_OPTION)


class FormError(GlpiScimError, ValueError):
    """The form cannot be read (too many fields, not form-encoded)."""


def parse_form(body: str) -> dict[str, str]:
    try:
        pairs = parse_qs(body, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise FormError("the form has too many fields") from None
    return {name: values[0] for name, values in pairs.items()}


@dataclass(frozen=True)
class ServerForm:
    """What the server form shows: the current settings (or the defaults), or what was sent."""

    values: Mapping[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def checked(self, name: str) -> bool:
        return self.values.get(name) == "on"


def form_of(server: IdentityServer | None, *, max_removals: str = "50/10m") -> ServerForm:
    """The form filled with a server's settings (None: a new server's defaults)."""
    if server is None:
        return ServerForm(
            {
                "security": "bearer",
                "active": "on",
                "entity": "0",
                "profile": "0",
                "delete_policy": "trash",
                "adopt": "unprotected",
                "max_removals": max_removals,
                "digest_algorithms": "SHA-256",
            }
        )
    values: dict[str, str] = {
        "name": server.name,
        "applied_user": str(server.users_id_applied),
        "security": server.auth_method,
        "username": server.auth_username or "",
        "entity": str(server.entities_id),
        "profile": str(server.profiles_id),
        "delete_policy": server.delete_policy,
        "networks": "\n".join(server.allowed_networks),
        "public_url": server.public_url or "",
        "adopt": server.adopt,
        "protected": "\n".join(server.protected_logins),
        "options": _options_text(server.options.as_json()),
        "max_removals": max_removals,
    }
    for name, flag in (
        ("active", server.is_active),
        ("log_requests", server.log_requests),
        ("default", server.is_default),
        ("recursive", server.is_recursive),
        ("password_sync", server.password_sync),
    ):
        if flag:
            values[name] = "on"
    return ServerForm(values)


def _options_text(options: Mapping[str, Any]) -> str:
    shown = {key: value for key, value in options.items() if key not in OWN_FIELD_OPTIONS}
    return json.dumps(shown, indent=2, sort_keys=True) if shown else ""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def server_input(
    form: Mapping[str, str], current: IdentityServer | None, current_max_removals: str
) -> ServerInput:
    """The ServerInput of a sent form: everything for a new server, the differences for an
    existing one. InvalidServerSetting for a value no service would read (bad JSON)."""
    before = form_of(current, max_removals=current_max_removals)

    def text(name: str) -> str | None:
        value = form.get(name, "").strip()
        if current is None:
            return value or None
        return value if value != before.get(name).strip() else None

    def flag(name: str) -> bool | None:
        value = form.get(name) == "on"
        if current is None:
            return value
        return value if value != before.checked(name) else None

    networks = _lines(form.get("networks", ""))
    old_networks = list(current.allowed_networks) if current else []
    protected = _lines(form.get("protected", ""))
    old_protected = list(current.protected_logins) if current else []
    set_options, unset_options = _option_changes(form.get("options", ""), current)
    password = form.get("password", "")
    algorithms = _lines(form.get("digest_algorithms", ""))
    security = text("security")
    method = security or (current.auth_method if current else "bearer")
    public_url = form.get("public_url", "").strip()
    stored_url = (current.public_url if current else None) or ""
    changed_url = public_url != stored_url
    if stored_url and not public_url:  # emptied: back to the public_url setting
        unset_options = (*unset_options, PUBLIC_URL_OPTION)
    return ServerInput(
        name=text("name"),
        applied_user=text("applied_user"),
        active=flag("active"),
        log_requests=flag("log_requests"),
        default=flag("default") if current is not None else (flag("default") or None),
        security=security,
        username=text("username") if method in ("basic", "digest") else None,
        password=password if password and method in ("basic", "digest") else None,
        digest_algorithms=algorithms if method == "digest" and algorithms else None,
        clear_networks=current is not None and networks != old_networks,
        add_networks=tuple(networks) if networks != old_networks else (),
        entity=text("entity"),
        profile=text("profile"),
        recursive=flag("recursive"),
        password_sync=flag("password_sync"),
        delete_policy=text("delete_policy"),
        set_options=set_options,
        unset_options=unset_options,
        new_signing_key=form.get("new_signing_key") == "on",
        max_removals=text("max_removals"),
        public_url=public_url if public_url and changed_url else None,
        adopt=text("adopt"),
        protect=tuple(login for login in protected if login not in old_protected),
        unprotect=tuple(login for login in old_protected if login not in protected),
    )


def _option_changes(
    text: str, current: IdentityServer | None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    old = {
        key: value
        for key, value in (current.options.as_json().items() if current else ())
        if key not in OWN_FIELD_OPTIONS
    }
    if not text.strip():
        new: dict[str, Any] = {}
    else:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidServerSetting(f"options: not a JSON object ({exc.msg})") from None
        if not isinstance(parsed, dict):
            raise InvalidServerSetting(
                'options: a JSON object, e.g. {"members_patch_no_content": true}'
            )
        new = parsed
    for key in new:
        if key in OWN_FIELD_OPTIONS:
            raise InvalidServerSetting(f"options: {key!r} has a field of its own in this form")
    set_options = {key: value for key, value in new.items() if old.get(key, object()) != value}
    unset_options = tuple(key for key in old if key not in new)
    return set_options, unset_options


def is_empty(given: ServerInput) -> bool:
    return given == ServerInput()
