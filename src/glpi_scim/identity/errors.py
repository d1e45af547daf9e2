"""Errors of the identity-server administration: each message is one readable sentence."""

from __future__ import annotations

from glpi_scim.errors import GlpiScimError


class ServerError(GlpiScimError):
    """Base of every error the servers package reports; `str(error)` is meant for a person."""


class ServerNotFound(ServerError, LookupError):
    """No identity server has the id or name asked for."""

    def __init__(self, ref: str | int, suggestions: tuple[str, ...] = ()) -> None:
        hint = (
            f"did you mean {' or '.join(repr(name) for name in suggestions)}? "
            if suggestions
            else ""
        )
        super().__init__(
            f"no identity server with id or name {str(ref)!r} ({hint}see `glpi-scim server list`)"
        )
        self.ref = ref


class InvalidServerSetting(ServerError, ValueError):
    """A setting's value cannot be used (bad CIDR, unknown GLPI user, entity or profile...)."""


class DuplicateServerName(ServerError):
    def __init__(self, name: str) -> None:
        super().__init__(f"an identity server named {name!r} already exists; choose another name")
        self.name = name


class TokenNotFound(ServerError, LookupError):
    def __init__(self, server_name: str, token_ref: str | int) -> None:
        super().__init__(
            f"identity server {server_name!r} has no token {str(token_ref)!r} "
            f"(see `glpi-scim token list {server_name}`)"
        )


class LogEntryNotFound(ServerError, LookupError):
    def __init__(self, entry_id: int) -> None:
        super().__init__(f"no request log entry with id {entry_id}")
