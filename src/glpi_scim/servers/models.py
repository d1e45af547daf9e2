"""Identity servers: one per IdP connection (design.md section 1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

# The name of a security method registered in security/methods/registry.py ("bearer", ...).
AuthMethod = str

DeletePolicy = Literal["trash", "deactivate", "purge"]
DELETE_POLICIES: tuple[DeletePolicy, ...] = ("trash", "deactivate", "purge")

# GLPI's authtype values the tool writes: 1 = GLPI's own password, 4 = external (SSO).
AUTHTYPE_DB_GLPI = 1
AUTHTYPE_EXTERNAL = 4

# Kept in the server's options: one URL per connection, no column of its own to migrate.
PUBLIC_URL_OPTION = "public_url"
# Adoption of existing GLPI users and groups (options key `adopt`): `never`, or `unprotected`
# (the default): any the applied user may change under GLPI's rules and that is not protected.
AdoptPolicy = Literal["never", "unprotected"]
ADOPT_POLICIES: tuple[AdoptPolicy, ...] = ("never", "unprotected")
ADOPT_OPTION = "adopt"
# Logins no server may write (options key `protected_logins`, a JSON list).
PROTECTED_OPTION = "protected_logins"


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
    options: dict[str, Any] = field(default_factory=dict)
    date_creation: datetime | None = None
    date_mod: datetime | None = None

    @property
    def public_url(self) -> str | None:
        """The external base URL its IdP reaches (`server add --public-url`), if stored."""
        value = self.options.get(PUBLIC_URL_OPTION)
        return value if isinstance(value, str) and value else None

    @property
    def authtype(self) -> int:
        """authtype given to users this server creates."""
        return AUTHTYPE_DB_GLPI if self.password_sync else AUTHTYPE_EXTERNAL

    @property
    def adopt(self) -> AdoptPolicy:
        return "never" if self.options.get(ADOPT_OPTION) == "never" else "unprotected"

    @property
    def protected_logins(self) -> tuple[str, ...]:
        value = self.options.get(PROTECTED_OPTION)
        if not isinstance(value, list):
            return ()
        return tuple(str(login) for login in value)
