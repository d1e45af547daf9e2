"""Administration of identity servers: every rule about their settings, in one place.

The CLI (and any future admin UI) goes through `ServerService`; the repository below it only
stores what it is given. Each operation returns what changed, notes worth telling the
administrator, and the credentials it generated (shown once, never stored in clear).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from glpi_scim.db.clock import TIMESTAMP_MAX, utcnow
from glpi_scim.db.database import Database
from glpi_scim.glpi.guard import GuardService, GuardState, RemovalLimit, parse_limit
from glpi_scim.glpi.policy import missing_rights
from glpi_scim.identity.errors import DuplicateServerName, InvalidServerSetting
from glpi_scim.identity.models import (
    ADOPT_OPTION,
    ADOPT_POLICIES,
    DELETE_POLICIES,
    PROTECTED_OPTION,
    PUBLIC_URL_OPTION,
    AuthMethod,
    DeletePolicy,
    IdentityServer,
    InvalidOption,
    ServerOptions,
    check_public_url,
)
from glpi_scim.security.credentials import (
    DEFAULT_DIGEST_ALGORITHMS,
    check_digest_algorithms,
    check_username,
    digest_ha1_values,
    new_signing_key,
    without_digest_algorithms,
)
from glpi_scim.security.methods import registry
from glpi_scim.security.methods.bearer import issue_token
from glpi_scim.security.networks import validate_cidr
from glpi_scim.servers.audit import Actor, AuditLog
from glpi_scim.servers.glpirefs import GlpiRef, GlpiReferences
from glpi_scim.servers.repository import ServerRepository
from glpi_scim.servers.tokens import TokenRecord, TokenRepository

NAME_MAX = 255
PASSWORD_MIN = 12
DEFAULT_TOKEN_LIFETIME = timedelta(days=3650)
_OPTION_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


def generate_password() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class ServerInput:
    """Settings an administrator gives. None (or empty) means: the default on add, unchanged
    on edit."""

    name: str | None = None
    applied_user: str | int | None = None
    active: bool | None = None
    log_requests: bool | None = None
    default: bool | None = None
    security: str | None = None
    username: str | None = None
    password: str | None = None
    # Digest only: the algorithms allowed (SHA-256 alone when a server starts using Digest).
    digest_algorithms: Sequence[str] | None = None
    clear_networks: bool = False
    add_networks: Sequence[str] = ()
    remove_networks: Sequence[str] = ()
    entity: str | int | None = None
    profile: str | int | None = None
    recursive: bool | None = None
    password_sync: bool | None = None
    delete_policy: str | None = None
    set_options: Mapping[str, Any] = field(default_factory=dict)
    unset_options: Sequence[str] = ()
    new_signing_key: bool = False
    max_removals: str | None = None  # the mass-change guard's limit: "50/10m", "0" (off)
    public_url: str | None = None
    adopt: str | None = None
    protect: Sequence[str] = ()
    unprotect: Sequence[str] = ()


@dataclass(frozen=True)
class PasswordCredentials:
    """Basic/Digest credentials to paste into the IdP; the password is not kept anywhere."""

    username: str
    password: str
    generated: bool


@dataclass
class ServerOutcome:
    """What an add or edit did."""

    server: IdentityServer
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    credentials: PasswordCredentials | None = None
    # The method just became bearer: the caller issues a first token (it knows the issuer URL).
    needs_first_token: bool = False


@dataclass(frozen=True)
class IssuedServerToken:
    token: str  # shown once
    record: TokenRecord


@dataclass(frozen=True)
class ServerView:
    """A server with the GLPI rows it points at, for display."""

    server: IdentityServer
    applied_user: GlpiRef
    entity: GlpiRef
    profile: GlpiRef


class ServerService:
    """`actor` is who makes the changes: each one is written to the audit (servers/audit.py);
    the CLI's OS user when not given."""

    def __init__(self, database: Database, actor: Actor | None = None) -> None:
        self.database = database
        self.actor = actor or Actor.cli()
        self.repository = ServerRepository(database)
        self.tokens = TokenRepository(database)
        self.glpi = GlpiReferences(database)
        self.guard = GuardService(database)
        self.audit = AuditLog(database)

    def _audit(self, server: IdentityServer, action: str, detail: str = "") -> None:
        self.audit.record(self.actor, server.id, server.name, action, detail)

    # -- reads ------------------------------------------------------------------------------

    def get(self, ref: str | int) -> IdentityServer:
        return self.repository.get(ref)

    def list_all(self) -> list[IdentityServer]:
        return self.repository.list_all()

    def view(self, server: IdentityServer) -> ServerView:
        return ServerView(
            server=server,
            applied_user=self.glpi.describe_user(server.users_id_applied),
            entity=self.glpi.describe_entity(server.entities_id),
            profile=self.glpi.describe_profile(server.profiles_id),
        )

    def rights_warnings(self, server: IdentityServer) -> list[str]:
        """What the server's applied user may not do that the server will need (GLPI rules)."""
        with self.database.read() as connection:
            return missing_rights(connection, server)

    # -- add / edit -------------------------------------------------------------------------

    def add(self, given: ServerInput) -> ServerOutcome:
        if given.name is None:
            raise InvalidServerSetting("a new identity server needs a name")
        if given.applied_user is None:
            raise InvalidServerSetting(
                "a new identity server needs an applied user (a GLPI login or id): GLPI's "
                "history shows it as the author of every change"
            )
        if given.clear_networks or given.remove_networks or given.unset_options:
            raise InvalidServerSetting("a new identity server has no networks or options to remove")
        blank = IdentityServer(id=0, name="", users_id_applied=0, signing_key=new_signing_key())
        return self._apply(blank, given, creating=True)

    def edit(self, ref: str | int | IdentityServer, given: ServerInput) -> ServerOutcome:
        current = ref if isinstance(ref, IdentityServer) else self.repository.get(ref)
        return self._apply(current, given, creating=False)

    def what_breaks(self, current: IdentityServer | None, given: ServerInput) -> list[str]:
        """What an add (current None) or edit would break for an IdP that works today: each
        sentence names the server and what its IdP will get. Reads only; nothing changes."""
        breaks: list[str] = []
        if given.default:
            previous = self.repository.get_default()
            if previous is not None and (current is None or previous.id != current.id):
                taker = repr(given.name or (current.name if current else ""))
                breaks.append(
                    f"identity server {previous.name!r} (id {previous.id}) stops being the "
                    f"default server: the URL without an id reaches {taker} instead, and "
                    f"{previous.name!r}'s IdP gets 401 there"
                )
        if current is None:
            return breaks
        name = f"identity server {current.name!r} (id {current.id})"
        if current.is_default and given.default is False:
            breaks.append(
                f"{name} stops being the default server: the URL without an id answers 404"
            )
        method = current.auth_method if given.security is None else given.security.lower()
        active = self._active_tokens(current) if _issues_tokens(current.auth_method) else 0
        if method != current.auth_method:
            revoked = f", its {active} active bearer token(s) are revoked" if active else ""
            breaks.append(
                f"{name} changes from {current.auth_method} to {method} security{revoked}: "
                "its IdP gets 401 until it is given the new credentials"
            )
        elif method in registry.password_methods() and (
            given.password is not None
            or (given.username is not None and given.username != current.auth_username)
        ):
            breaks.append(
                f"{name} gets new {method} credentials: its IdP gets 401 until it is given them"
            )
        if given.new_signing_key and _issues_tokens(method):
            breaks.append(
                f"{name} gets a new signing key: its {active} active bearer token(s) stop "
                "working and its IdP gets 401 until it is given a new one"
            )
        return breaks

    def _active_tokens(self, server: IdentityServer) -> int:
        return sum(token.status() == "active" for token in self.tokens.list_for(server.id))

    def set_active(self, ref: str | int, active: bool) -> ServerOutcome:
        return self.edit(ref, ServerInput(active=active))

    def _apply(
        self, current: IdentityServer, given: ServerInput, *, creating: bool
    ) -> ServerOutcome:
        notes: list[str] = []
        warnings: list[str] = []
        changes: dict[str, Any] = {}

        if given.name is not None:
            name = validate_name(given.name)
            if self.repository.name_taken(name, except_id=None if creating else current.id):
                raise DuplicateServerName(name)
            changes["name"] = name
        if given.applied_user is not None:
            changes["users_id_applied"] = self.glpi.applied_user(given.applied_user).id
        if given.entity is not None:
            changes["entities_id"] = self.glpi.entity(given.entity).id
        if given.profile is not None:
            changes["profiles_id"] = self.glpi.profile(given.profile).id
        for attribute, value in (
            ("is_active", given.active),
            ("log_requests", given.log_requests),
            ("is_recursive", given.recursive),
            ("password_sync", given.password_sync),
        ):
            if value is not None:
                changes[attribute] = value
        if given.delete_policy is not None:
            changes["delete_policy"] = validate_delete_policy(given.delete_policy)
        if given.clear_networks or given.add_networks or given.remove_networks:
            changes["allowed_networks"] = _networks(current.allowed_networks, given)
        if given.set_options or given.unset_options or given.public_url is not None:
            changes["options"] = _options(current.options, given)
        if given.adopt is not None or given.protect or given.unprotect:
            changes["options"] = _ownership_options(changes.get("options", current.options), given)
        if given.new_signing_key:
            changes["signing_key"] = new_signing_key()
            notes.append(
                "new signing key: every bearer token issued so far no longer works; "
                "issue new ones with `glpi-scim token issue`"
            )

        method, credentials, method_changes = self._credentials(current, given, creating)
        changes.update(method_changes)
        limit = parse_limit(given.max_removals) if given.max_removals is not None else None

        previous_default = None
        if given.default is not None:
            changes["is_default"] = given.default
            if given.default:
                previous_default = self.repository.get_default()

        server = replace(current, **changes)
        saved = self.repository.create(server) if creating else self.repository.update(server)
        if creating or limit is not None:
            limit = limit or RemovalLimit()
            self.guard.set_limit(saved.id, limit)
            if not limit.enabled:
                warnings.append(
                    f"the mass-change guard of {saved.name!r} is off: a misconfigured identity "
                    "provider can deactivate or delete every user and group it sees"
                )
            elif not creating:
                notes.append(f"mass-change guard: at most {limit} deactivations and deletions")

        if previous_default is not None and previous_default.id != saved.id:
            notes.append(
                f"{previous_default.name!r} (id {previous_default.id}) is no longer the default "
                f"server; {saved.name!r} is"
            )
        if not creating and current.is_default and given.default is False:
            notes.append("there is no default server any more: the URL without an id answers 404")
        chosen = registry.find_method(method)  # None only for a hand-edited row left as it is
        adopted = creating or current.auth_method != method
        needs_first_token = adopted and _issues_tokens(method)
        if not creating and adopted and _issues_tokens(current.auth_method):
            revoked = self.tokens.revoke_all(saved.id)
            if revoked:
                notes.append(f"{revoked} bearer token(s) of this server revoked")
        if adopted and chosen is not None:
            notes.extend(chosen.adoption_notes(saved))
        if (
            not creating
            and given.password_sync is not None
            and given.password_sync != current.password_sync
        ):
            notes.append(
                "password sync now applies to users this server creates from now on "
                "(GLPI authtype 1)"
                if given.password_sync
                else "password sync is off: passwords sent by the IdP are ignored from now on"
            )
        warnings.extend(security_warnings(saved))
        warnings.extend(self.rights_warnings(saved))
        changed = describe_changes(None if creating else current, saved)
        if limit is not None and not (creating and given.max_removals is None):
            changed.append(f"mass-change guard {limit if limit.enabled else 'off'}")
        self._audit(saved, "server added" if creating else "server edited", "; ".join(changed))
        return ServerOutcome(saved, notes, warnings, credentials, needs_first_token)

    def _credentials(
        self, current: IdentityServer, given: ServerInput, creating: bool
    ) -> tuple[AuthMethod, PasswordCredentials | None, dict[str, Any]]:
        method = (
            validate_method(given.security) if given.security is not None else current.auth_method
        )
        changed = creating or method != current.auth_method
        if given.digest_algorithms is not None and method != "digest":
            raise InvalidServerSetting(
                f"--digest-algorithms only applies to digest security, not {method}"
            )
        password_methods = registry.password_methods()
        chosen = registry.find_method(method)
        if chosen is None or not chosen.takes_password:
            if given.username is not None or given.password is not None:
                raise InvalidServerSetting(
                    f"--username and --password only apply to {_either(password_methods)} "
                    f"security, not {method}"
                )
            if not changed:
                return method, None, {}
            return method, None, {"auth_method": method, "auth_username": None, "auth_secret": None}

        username = given.username
        if username is None and current.auth_method in password_methods:
            username = current.auth_username
        username = validate_username(username if username is not None else _default_username())
        renewing = changed or username != current.auth_username or given.password is not None
        algorithms = self._digest_algorithms(current, given, changed)
        if not renewing:
            stored = set(digest_ha1_values(current.auth_secret))
            if method != "digest" or set(algorithms) == stored:
                return method, None, {}
            missing = set(algorithms) - stored
            if missing:
                # The stored HA1 is a hash of the password: another algorithm needs it again.
                raise InvalidServerSetting(
                    f"allowing {', '.join(sorted(missing))} needs the password (only hashes "
                    "of it are stored, one per algorithm): give --password"
                )
            restricted = without_digest_algorithms(current.auth_secret or "", algorithms)
            return method, None, {"auth_secret": restricted}
        # The stored secret depends on the method and (Digest) the username: a change of either
        # needs the password, which is known only when given or generated now.
        password = given.password
        generated = password is None
        if password is None:
            password = generate_password()
        else:
            validate_password(password)
        try:
            secret = chosen.make_secret(username, password, algorithms)
        except ValueError as exc:
            raise InvalidServerSetting(str(exc)) from None
        return (
            method,
            PasswordCredentials(username, password, generated),
            {"auth_method": method, "auth_username": username, "auth_secret": secret},
        )

    @staticmethod
    def _digest_algorithms(
        current: IdentityServer, given: ServerInput, changed: bool
    ) -> tuple[str, ...]:
        """The Digest algorithms the server will allow: as given, else as stored (a server
        that used Digest before keeps what it has), else SHA-256 alone."""
        if given.digest_algorithms is not None:
            try:
                return check_digest_algorithms(given.digest_algorithms)
            except ValueError as exc:
                raise InvalidServerSetting(str(exc)) from None
        stored = tuple(digest_ha1_values(current.auth_secret))
        if not changed and current.auth_method == "digest" and stored:
            return check_digest_algorithms(stored)
        return DEFAULT_DIGEST_ALGORITHMS

    # -- remove -----------------------------------------------------------------------------

    def remove(self, ref: str | int) -> tuple[IdentityServer, dict[str, int]]:
        """Delete a server and the tool's rows of it; GLPI's users and groups stay."""
        server = self.repository.get(ref)
        counts = self.repository.delete(server.id)
        self._audit(server, "server removed")
        return server, counts

    def resume_guard(self, server: IdentityServer) -> GuardState:
        """Lift a tripped mass-change guard (recorded only when it was tripped)."""
        lifted = self.guard.resume(server)
        if lifted.tripped:
            self._audit(server, "guard resumed", f"after {lifted.refused} refused removals")
        return lifted

    # -- tokens -----------------------------------------------------------------------------

    def issue_token(
        self,
        server: IdentityServer,
        *,
        issuer: str,
        lifetime: timedelta | None = None,
        comment: str | None = None,
    ) -> IssuedServerToken:
        """A new bearer token for the server, recorded (jti, expiry, comment), shown once.

        Without a lifetime: DEFAULT_TOKEN_LIFETIME, shortened when it would pass the database's
        TIMESTAMP limit (2038-01-19).
        """
        method = registry.find_method(server.auth_method)
        if method is None or not method.issues_tokens:
            raise InvalidServerSetting(
                f"identity server {server.name!r} uses {server.auth_method} security, not "
                f"bearer: switch it with `glpi-scim server edit {server.id} --security bearer`"
            )
        if lifetime is None:
            lifetime = min(DEFAULT_TOKEN_LIFETIME, TIMESTAMP_MAX - utcnow() - timedelta(days=1))
        if lifetime <= timedelta(0):
            raise InvalidServerSetting("a token's lifetime must be longer than zero")
        try:
            check_expiry(utcnow() + lifetime)
        except OverflowError:
            check_expiry(None)
        try:
            issued = issue_token(
                server, issuer=issuer, lifetime=lifetime, subject=token_subject(server)
            )
        except ValueError as exc:
            raise InvalidServerSetting(str(exc)) from None
        record = self.tokens.record(server.id, issued.jti, issued.expires_at, comment)
        expiry = f"{record.expires_at:%Y-%m-%d %H:%M} UTC" if record.expires_at else "never"
        about = f", comment {comment!r}" if comment else ""
        self._audit(server, "token issued", f"token {record.id}, expires {expiry}{about}")
        return IssuedServerToken(issued.token, record)

    def revoke_token(self, server: IdentityServer, token_ref: str | int) -> TokenRecord:
        """Revoke one token of the server (idempotent; recorded when it was live)."""
        before = self.tokens.find(server.id, token_ref)
        token = self.tokens.revoke(server.id, token_ref if before is None else before.id)
        if before is not None and not before.revoked:
            self._audit(server, "token revoked", f"token {token.id}")
        return token


# What the audit says changed, per column; secrets are named, never shown.
_AUDITED_FIELDS = (
    ("name", "name"),
    ("users_id_applied", "applied user id"),
    ("is_active", "active"),
    ("log_requests", "log requests"),
    ("is_default", "default"),
    ("auth_method", "security"),
    ("auth_username", "username"),
    ("allowed_networks", "allowed networks"),
    ("entities_id", "entity id"),
    ("profiles_id", "profile id"),
    ("is_recursive", "recursive"),
    ("password_sync", "password sync"),
    ("delete_policy", "delete policy"),
    ("options", "options"),
)


def describe_changes(before: IdentityServer | None, after: IdentityServer) -> list[str]:
    """`field: old -> new` for each setting that differs (every setting on creation)."""
    changes: list[str] = []
    for attribute, label in _AUDITED_FIELDS:
        new = getattr(after, attribute)
        if before is None:
            changes.append(f"{label}: {_shown_value(new)}")
        elif getattr(before, attribute) != new:
            old = _shown_value(getattr(before, attribute))
            changes.append(f"{label}: {old} -> {_shown_value(new)}")
    if before is not None and before.auth_secret != after.auth_secret:
        changes.append("credentials changed")
    if before is not None and before.signing_key != after.signing_key:
        changes.append("new signing key")
    return changes


def _shown_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value) or "none"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True) if value else "{}"
    return "-" if value is None else str(value)


def token_subject(server: IdentityServer) -> str:
    """The `sub` of a server's tokens: the IdP connection, stable across renames."""
    return f"glpi-scim-server-{server.id}"


def check_expiry(expires_at: datetime | None) -> None:
    if expires_at is None or expires_at > TIMESTAMP_MAX:
        raise InvalidServerSetting(
            f"a token cannot expire after {TIMESTAMP_MAX:%Y-%m-%d} (the database's TIMESTAMP "
            "limit); choose a shorter --expires"
        )


def security_warnings(server: IdentityServer) -> list[str]:
    method = registry.find_method(server.auth_method)
    return [] if method is None else method.warnings(server)


# -- validation of single values -------------------------------------------------------------


def validate_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise InvalidServerSetting("the server name must not be empty")
    if len(cleaned) > NAME_MAX:
        raise InvalidServerSetting(f"the server name is longer than {NAME_MAX} characters")
    if cleaned.isdigit():
        raise InvalidServerSetting(
            f"the server name {cleaned!r} is only digits, which would read as a server id"
        )
    if any(ord(char) < 32 or ord(char) == 127 for char in cleaned):
        raise InvalidServerSetting("the server name must not contain control characters")
    return cleaned


def validate_method(method: str) -> AuthMethod:
    lowered = method.strip().lower()
    if registry.find_method(lowered) is None:
        raise InvalidServerSetting(
            f"unknown security method {method!r}; choose one of "
            f"{', '.join(registry.method_names())}"
        )
    return lowered


def _issues_tokens(name: str) -> bool:
    found = registry.find_method(name)
    return found is not None and found.issues_tokens


def _either(names: Sequence[str]) -> str:
    """`basic and digest`, for messages about what applies to which methods."""
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def validate_delete_policy(policy: str) -> DeletePolicy:
    lowered = policy.strip().lower()
    if lowered not in DELETE_POLICIES:
        raise InvalidServerSetting(
            f"unknown delete policy {policy!r}; choose one of {', '.join(DELETE_POLICIES)}"
        )
    return lowered


def validate_username(username: str) -> str:
    if len(username) > NAME_MAX:
        raise InvalidServerSetting(f"the username is longer than {NAME_MAX} characters")
    try:
        return check_username(username)
    except ValueError as exc:
        raise InvalidServerSetting(str(exc)) from None


def validate_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise InvalidServerSetting(
            f"the password has {len(password)} characters; use at least {PASSWORD_MIN} "
            "(or leave --password out to have one generated)"
        )


def validate_network(text: str) -> str:
    try:
        return validate_cidr(text)
    except ValueError as exc:
        raise InvalidServerSetting(str(exc)) from None


def validate_option_key(key: str) -> str:
    if not _OPTION_KEY.match(key):
        raise InvalidServerSetting(
            f"option name {key!r}: use letters, digits, '_', '-' or '.', starting with a letter"
        )
    return key


def _default_username() -> str:
    return f"scim-{secrets.token_hex(4)}"


def _networks(current: Sequence[str], given: ServerInput) -> tuple[str, ...]:
    networks = [] if given.clear_networks else list(current)
    for text in given.remove_networks:
        network = validate_network(text)
        if network not in networks:
            raise InvalidServerSetting(
                f"network {network} is not in the allowed networks "
                f"({', '.join(networks) or 'none'})"
            )
        networks.remove(network)
    for text in given.add_networks:
        network = validate_network(text)
        if network not in networks:
            networks.append(network)
    return tuple(networks)


def _ownership_options(current: ServerOptions, given: ServerInput) -> ServerOptions:
    """`--adopt`, `--protect`, `--unprotect`: kept in the server's options."""
    options = current.as_json()
    if given.adopt is not None:
        if given.adopt not in ADOPT_POLICIES:
            raise InvalidServerSetting(
                f"--adopt {given.adopt!r}: expected one of {', '.join(ADOPT_POLICIES)}"
            )
        options[ADOPT_OPTION] = given.adopt
    if given.protect or given.unprotect:
        options = _protected_logins(options, given)
    return _checked_options(options)


def _protected_logins(options: dict[str, Any], given: ServerInput) -> dict[str, Any]:
    # The list as stored, refused naming it when a hand edit broke it: never dropped unseen.
    logins = list(
        _checked_options({PROTECTED_OPTION: options.get(PROTECTED_OPTION) or []}).protected_logins
    )
    for login in given.protect:
        login = login.strip()
        if not login:
            raise InvalidServerSetting("--protect needs a GLPI login")
        if login.casefold() not in {known.casefold() for known in logins}:
            logins.append(login)
    for login in given.unprotect:
        kept = [known for known in logins if known.casefold() != login.strip().casefold()]
        if len(kept) == len(logins):
            listed = ", ".join(logins) or "none"
            raise InvalidServerSetting(f"--unprotect {login!r}: not protected (listed: {listed})")
        logins = kept
    if logins:
        options[PROTECTED_OPTION] = logins
    else:
        options.pop(PROTECTED_OPTION, None)
    return options


def _options(current: ServerOptions, given: ServerInput) -> ServerOptions:
    options = current.as_json()
    for key in given.unset_options:
        if key not in options:
            known = ", ".join(sorted(options)) or "none set"
            raise InvalidServerSetting(f"option {key!r} is not set (options: {known})")
        del options[key]
    for key, value in given.set_options.items():
        options[validate_option_key(key)] = value
    if given.public_url is not None:
        options[PUBLIC_URL_OPTION] = given.public_url
    return _checked_options(options)


def _checked_options(options: Mapping[str, Any]) -> ServerOptions:
    """The options to store: a known option with a bad value is refused, naming it."""
    try:
        return ServerOptions.from_json(options)
    except InvalidOption as exc:
        raise InvalidServerSetting(str(exc)) from None


def validate_public_url(url: object) -> str:
    """An absolute http(s) URL with a host: the IdP cannot reach `glpi.example.com` alone."""
    try:
        return check_public_url(url)
    except InvalidOption as exc:
        raise InvalidServerSetting(str(exc)) from None
