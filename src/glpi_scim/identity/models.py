"""Identity servers: one per IdP connection (design.md section 1)."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

from glpi_scim.errors import GlpiScimError

# The name of a security method registered in security/methods/registry.py ("bearer", ...).
AuthMethod = str

DeletePolicy = Literal["trash", "deactivate", "purge"]
DELETE_POLICIES: tuple[DeletePolicy, ...] = ("trash", "deactivate", "purge")

# GLPI's authtype values the tool writes: 1 = GLPI's own password, 4 = external (SSO).
AUTHTYPE_DB_GLPI = 1
AUTHTYPE_EXTERNAL = 4

# The server's options: one JSON object in the `options` column (`server edit --option
# KEY=VALUE`), so that a switch needs no column of its own to migrate. ServerOptions reads them.
# The external base URL its IdP reaches (`server add --public-url`).
PUBLIC_URL_OPTION = "public_url"
# Adoption of existing GLPI users and groups (`--adopt`): `never`, or `unprotected` (the
# default): any the applied user may change under GLPI's rules and that is not protected.
AdoptPolicy = Literal["never", "unprotected"]
ADOPT_POLICIES: tuple[AdoptPolicy, ...] = ("never", "unprotected")
ADOPT_OPTION = "adopt"
# Logins no server may write (`--protect`, a JSON list).
PROTECTED_OPTION = "protected_logins"
# Extension URNs an IdP sends that are dropped instead of refused (a JSON list, or the URNs
# separated by commas as `--option tolerated_extensions=URN,URN` stores them).
TOLERATED_EXTENSIONS_OPTION = "tolerated_extensions"
# Answer 204 instead of 200 + the group to a PATCH that only edits members (RFC 7644 §3.5.2
# allows both; 204 spares reading a large group back, 200 is what most clients expect).
MEMBERS_PATCH_NO_CONTENT_OPTION = "members_patch_no_content"


class InvalidOption(GlpiScimError, ValueError):
    """A known option holds a value it cannot have; the message names the option."""


def check_public_url(url: object) -> str:
    """An absolute http(s) URL with a host, without a trailing slash: the IdP cannot reach
    `glpi.example.com` alone."""
    text = str(url).strip().rstrip("/") if isinstance(url, str) else ""
    parsed = urlsplit(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidOption(
            f"public URL {url!r} must be an absolute URL starting with https:// (or http://) "
            "and naming a host, e.g. https://glpi.example.com"
        )
    return text


def _adopt(value: object) -> AdoptPolicy:
    if value not in ADOPT_POLICIES:
        expected = " or ".join(ADOPT_POLICIES)
        raise InvalidOption(f"option {ADOPT_OPTION!r} must be {expected}, not {value!r}")
    return value


def _texts(key: str, value: object, *, commas: bool = False) -> tuple[str, ...]:
    if commas and isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        shape = "a list of texts" + (" or texts separated by commas" if commas else "")
        raise InvalidOption(f"option {key!r} must be {shape}, not {value!r}")
    items = tuple(item.strip() for item in value)
    if not commas and not all(items):
        raise InvalidOption(f"option {key!r} must not hold an empty text")
    return tuple(dict.fromkeys(item for item in items if item)) if commas else tuple(value)


def _flag(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidOption(f"option {key!r} must be true or false, not {value!r}")
    return value


# How each known option is read: its value in the JSON object -> the typed field of that name.
_READERS: dict[str, Callable[[object], object]] = {
    PUBLIC_URL_OPTION: check_public_url,
    ADOPT_OPTION: _adopt,
    PROTECTED_OPTION: lambda value: _texts(PROTECTED_OPTION, value),
    TOLERATED_EXTENSIONS_OPTION: lambda value: _texts(
        TOLERATED_EXTENSIONS_OPTION, value, commas=True
    ),
    MEMBERS_PATCH_NO_CONTENT_OPTION: lambda value: _flag(MEMBERS_PATCH_NO_CONTENT_OPTION, value),
}


@dataclass(frozen=True)
class ServerOptions:
    """A server's options, read once from their JSON object: None or empty means not set.

    Keys this version does not know stay in `extra` and are written back as they were (a
    newer version, or an administrator's own switch, may use them); so does a known key whose
    stored value could not be read (`read_stored`).
    """

    public_url: str | None = None
    adopt: AdoptPolicy | None = None  # None: `unprotected`
    protected_logins: tuple[str, ...] = ()
    tolerated_extensions: tuple[str, ...] = ()
    members_patch_no_content: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> ServerOptions:
        """The options of a JSON object; InvalidOption for a known key with a bad value."""
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in stored.items():
            reader = _READERS.get(key)
            if reader is None:
                extra[key] = value
            else:
                known[key] = reader(value)
        return cls(**known, extra=extra)

    @classmethod
    def read_stored(
        cls, raw: str | None, report: Callable[[str], None] | None = None
    ) -> ServerOptions:
        """The options of the `options` column as stored, which a hand edit may have broken:
        a bad value is reported and that option left unread (its default applies, and
        `as_json` still shows it as stored so that `server edit` can fix it)."""
        if not raw:
            return _NO_OPTIONS
        options, problems = _read_stored(raw)
        if report is not None:
            for problem in problems:
                report(problem)
        return options

    def as_json(self) -> dict[str, Any]:
        """The JSON object to store: the options set, and the unknown ones as they were (a
        copy: a stored value is shared by every read of the same text)."""
        stored = copy.deepcopy(dict(self.extra))
        for key, value in (
            (PUBLIC_URL_OPTION, self.public_url),
            (ADOPT_OPTION, self.adopt),
            (PROTECTED_OPTION, list(self.protected_logins) or None),
            (TOLERATED_EXTENSIONS_OPTION, list(self.tolerated_extensions) or None),
            (MEMBERS_PATCH_NO_CONTENT_OPTION, self.members_patch_no_content),
        ):
            if value is not None:
                stored[key] = value
        return stored


_NO_OPTIONS = ServerOptions()


# Every request reads its server's row: the same text is parsed once per process.
@functools.lru_cache(maxsize=1024)
def _read_stored(raw: str) -> tuple[ServerOptions, tuple[str, ...]]:
    try:
        stored = json.loads(raw)
    except ValueError:
        stored = None
    if not isinstance(stored, dict):
        return _NO_OPTIONS, ("its options are not a JSON object; none is used",)
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in stored.items():
        reader = _READERS.get(key)
        if reader is None:
            extra[key] = value
            continue
        try:
            known[key] = reader(value)
        except InvalidOption as problem:
            problems.append(f"{problem}; the option is ignored until it is fixed")
            extra[key] = value
    return ServerOptions(**known, extra=extra), tuple(problems)


@dataclass(frozen=True)
class IdentityServer:
    """A row of glpi_plugin_glpiscim_servers, decoded."""

    id: int
    name: str
    users_id_applied: int
    is_active: bool = True
    log_requests: bool = False
    is_default: bool = False
    auth_method: AuthMethod = "bearer"
    auth_username: str | None = None
    # Basic: salted password hash; Digest: JSON of HA1 values. Never a plain password.
    auth_secret: str | None = None
    signing_key: str = ""
    allowed_networks: tuple[str, ...] = ()
    entities_id: int = 0
    profiles_id: int = 0  # 0: GLPI's default profile (is_default=1)
    is_recursive: bool = False
    password_sync: bool = False
    delete_policy: DeletePolicy = "trash"
    options: ServerOptions = field(default_factory=ServerOptions)
    date_creation: datetime | None = None
    date_mod: datetime | None = None

    @property
    def public_url(self) -> str | None:
        """The external base URL its IdP reaches (`server add --public-url`), if stored."""
        return self.options.public_url

    @property
    def authtype(self) -> int:
        """authtype given to users this server creates."""
        return AUTHTYPE_DB_GLPI if self.password_sync else AUTHTYPE_EXTERNAL

    @property
    def adopt(self) -> AdoptPolicy:
        return self.options.adopt or "unprotected"

    @property
    def protected_logins(self) -> tuple[str, ...]:
        return self.options.protected_logins
