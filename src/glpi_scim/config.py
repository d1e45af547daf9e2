"""Settings, declared once as data: a TOML file < GLPI_SCIM_* environment variables < CLI flags.

Each setting names its default, its environment variable and its help text; the CLI builds its
options from the same declarations and `glpi-scim config show` prints where each value came from.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from glpi_scim.errors import GlpiScimError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

DEFAULT_CONFIG_FILE = "glpi-scim.toml"


class ConfigError(GlpiScimError):
    """A setting has a value that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class SettingSpec:
    name: str
    default: Any
    help: str
    kind: type = str
    env: str | None = None  # defaults to GLPI_SCIM_<NAME>
    secret: bool = False
    multiple: bool = False

    @property
    def env_var(self) -> str:
        return self.env or f"GLPI_SCIM_{self.name.upper()}"


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "database_url",
        None,
        "SQLAlchemy URL of GLPI's database (mysql+pymysql://user:pass@host/glpi or sqlite:///f)",
        secret=True,
    ),
    SettingSpec(
        "glpi_config",
        None,
        "GLPI's config directory; its config_db.php gives the database connection",
        env="GLPI_CONFIG_DIR",
    ),
    SettingSpec(
        "sqlite_path",
        "glpi-scim.sqlite",
        "Embedded SQLite file used when neither a database URL nor a GLPI config is given",
    ),
    SettingSpec("host", "127.0.0.1", "Address `serve` listens on"),
    SettingSpec("port", 8080, "Port `serve` listens on", kind=int),
    SettingSpec("threads", 8, "Worker threads of the waitress server", kind=int),
    SettingSpec("url_prefix", "/scim", "Path prefix of the SCIM endpoints"),
    SettingSpec(
        "public_url",
        None,
        "External base URL clients use (https://glpi.example.com); used in printed URLs and meta",
    ),
    SettingSpec(
        "trusted_proxies",
        (),
        "Proxy addresses or CIDRs whose X-Forwarded-For/-Proto headers are believed",
        multiple=True,
    ),
    SettingSpec("max_body_bytes", 1_048_576, "Largest request body accepted (413 above)", kind=int),
    SettingSpec("max_results", 1000, "Largest page a list or search returns", kind=int),
    SettingSpec(
        "max_patch_operations", 1000, "Most operations in one PATCH request (413 above)", kind=int
    ),
    SettingSpec(
        "max_bulk_operations", 1000, "Most operations in one Bulk request (413 above)", kind=int
    ),
    SettingSpec(
        "members_patch_reply_limit",
        1000,
        "A PATCH changing only a group's members answers 204, not the group, above this many "
        "members",
        kind=int,
    ),
    SettingSpec("db_timeout", 10, "Seconds to wait for the database before a 503", kind=int),
    SettingSpec("log_level", "INFO", "Server log level (DEBUG, INFO, WARNING, ERROR)"),
    SettingSpec("log_format", "text", "Server log format: text (key=value lines) or json"),
    SettingSpec(
        "statement_timeout",
        10,
        "Seconds one SQL statement may run before the database stops it (503); 0: no limit",
        kind=int,
    ),
    SettingSpec(
        "max_filter_clauses",
        50,
        "Most comparisons in one filter (400 invalidFilter above)",
        kind=int,
    ),
    SettingSpec(
        "max_emails_per_user",
        100,
        "Most e-mail addresses one user may have (400 invalidValue above)",
        kind=int,
    ),
    SettingSpec(
        "max_phones_per_user",
        100,
        "Most phone numbers one user may have (400 invalidValue above)",
        kind=int,
    ),
    SettingSpec(
        "oauth_grant_lifetime_days",
        365,
        "Days an OAuth2 grant lasts from its approval; then refresh fails and the IdP must be "
        "authorised again",
        kind=int,
    ),
    SettingSpec(
        "log_retention",
        "90d",
        "How long the running server keeps request-log entries (90d, 1y); 0 keeps them forever",
    ),
    SettingSpec(
        "log_refusals_per_minute",
        10,
        "Requests refused before authentication stored per minute per server and address "
        "(summaries only; 6x that per server); 0 stores none",
        kind=int,
    ),
    SettingSpec(
        "max_requests_in_flight",
        4,
        "Most requests one identity server may have in progress per process (429 above); "
        "0: no limit",
        kind=int,
    ),
    SettingSpec(
        "connection_limit",
        500,
        "Most open connections `serve` accepts; more wait in the listen backlog",
        kind=int,
    ),
    SettingSpec(
        "request_timeout",
        10,
        "Seconds a client has to send a complete request (headers and body) once it began, "
        "or its first request after connecting; the connection is closed after",
        kind=int,
    ),
    SettingSpec(
        "idle_timeout",
        60,
        "Seconds an idle keep-alive connection is kept open between requests",
        kind=int,
    ),
    SettingSpec(
        "metrics_enabled", False, "Serve Prometheus metrics at /metrics (off by default)", kind=bool
    ),
    SettingSpec(
        "metrics_listen",
        None,
        "HOST:PORT of a listener of its own for /metrics; empty: the SCIM listener serves it",
    ),
    SettingSpec(
        "stats_flush_seconds",
        5,
        "Seconds between two writes of each process's request counts (server status)",
        kind=int,
    ),
    SettingSpec(
        "auth_cache_seconds",
        2,
        "Seconds a process may reuse what it read of identity servers, tokens and failed "
        "sign-ins; a revoked token or a disabled or edited server takes effect within it on "
        "every instance; 0: read them on every request",
        kind=int,
    ),
    SettingSpec(
        "console_enabled",
        False,
        "Serve the web console (identity servers, tokens, request log) at console_path; off "
        "by default",
        kind=bool,
    ),
    SettingSpec("console_path", "/console", "Path of the web console"),
    SettingSpec(
        "console_idle_timeout",
        1800,
        "Seconds a console session may stay unused before it must sign in again",
        kind=int,
    ),
    SettingSpec(
        "console_session_lifetime",
        28800,
        "Seconds a console session lasts at most from its sign-in, used or not",
        kind=int,
    ),
)
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    glpi_config: str | None = None
    sqlite_path: str = "glpi-scim.sqlite"
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 8
    url_prefix: str = "/scim"
    public_url: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576
    max_results: int = 1000
    max_patch_operations: int = 1000
    max_bulk_operations: int = 1000
    members_patch_reply_limit: int = 1000
    db_timeout: int = 10
    log_level: str = "INFO"
    log_format: str = "text"
    statement_timeout: int = 10
    max_filter_clauses: int = 50
    max_emails_per_user: int = 100
    max_phones_per_user: int = 100
    oauth_grant_lifetime_days: int = 365
    log_retention: str = "90d"
    log_refusals_per_minute: int = 10
    max_requests_in_flight: int = 4
    connection_limit: int = 500
    request_timeout: int = 10
    idle_timeout: int = 60
    metrics_enabled: bool = False
    metrics_listen: str | None = None
    stats_flush_seconds: int = 5
    auth_cache_seconds: int = 2
    console_enabled: bool = False
    console_path: str = "/console"
    console_idle_timeout: int = 1800
    console_session_lifetime: int = 28800
    # Where each value came from: "default", "file", "env" or "cli".
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    # The TOML file read, if any (for `config show`).
    config_path: str | None = field(default=None, compare=False)

    def describe(self) -> list[tuple[str, str, str]]:
        """(name, value with secrets masked, source) for `config show`."""
        rows = []
        for spec in SPECS:
            value = getattr(self, spec.name)
            shown = _mask(spec, value)
            rows.append((spec.name, shown, self.sources.get(spec.name, "default")))
        return rows

    @property
    def base_url(self) -> str:
        """URL the outside world reaches the server at (no trailing slash)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "localhost" if self.host in ("0.0.0.0", "::", "") else self.host  # noqa: S104
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


def _mask(spec: SettingSpec, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    text = str(value)
    if spec.secret and spec.name == "database_url":
        return mask_url_password(text)
    return "********" if spec.secret else text


# Query parameters of a database URL that carry a secret (pymysql's `password`/`passwd`, ...).
_SECRET_PARAMETER = re.compile(r"pass|pwd|secret|token|credential|auth", re.IGNORECASE)


def mask_url_password(url: str) -> str:
    """`mysql+pymysql://glpi:secret@db/glpi` -> `mysql+pymysql://glpi:***@db/glpi`, and
    `...?password=secret` -> `...?password=***`: every URL glpi-scim prints or logs goes
    through here."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    creds, at, location = rest.rpartition("@")
    shown_creds = ""
    if at:
        user, colon, _ = creds.partition(":")
        # A "/" or "?" before the last "@" means the split is not certain (an "@" in the query,
        # an unescaped password): hide all of it rather than guess.
        if "/" in creds or "?" in creds:
            shown_creds = "***@"
        else:
            shown_creds = f"{user}{':***' if colon else ''}@"
    where, question, query = location.partition("?")
    return f"{scheme}://{shown_creds}{where}{question}{_mask_query(query)}"


def _mask_query(query: str) -> str:
    parts = []
    for part in query.split("&"):
        name, equals, _value = part.partition("=")
        secret = _SECRET_PARAMETER.search(unquote_plus(name))
        parts.append(f"{name}=***" if equals and secret else part)
    return "&".join(parts)


def _convert(spec: SettingSpec, raw: Any, origin: str) -> Any:
    if raw is None:
        return None
    if spec.multiple:
        if isinstance(raw, str):
            items = [part.strip() for part in raw.split(",")]
        elif isinstance(raw, (list, tuple)):
            items = [str(part).strip() for part in raw]
        else:
            raise ConfigError(f"{spec.name} ({origin}): expected a list, got {raw!r}")
        return tuple(item for item in items if item)
    if spec.kind is bool:
        return _to_bool(spec, raw, origin)
    if spec.kind is int:
        if isinstance(raw, bool):
            raise ConfigError(f"{spec.name} ({origin}): expected a whole number, got {raw!r}")
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{spec.name} ({origin}): expected a whole number, got {raw!r}"
            ) from None
        if value < 0:
            raise ConfigError(f"{spec.name} ({origin}): must not be negative, got {value}")
        if spec.name == "port" and value > 65535:
            raise ConfigError(f"{spec.name} ({origin}): a TCP port is at most 65535, got {value}")
        return value
    if not isinstance(raw, str):
        raise ConfigError(f"{spec.name} ({origin}): expected text, got {raw!r}")
    return raw


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _to_bool(spec: SettingSpec, raw: Any, origin: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise ConfigError(f"{spec.name} ({origin}): expected true or false, got {raw!r}")


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
    # Accept settings at the top level or under a [glpi-scim] table; keys with - or _.
    section = data.get("glpi-scim", data.get("glpi_scim", data))
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [glpi-scim] must be a table of settings")
    values: dict[str, Any] = {}
    for key, value in section.items():
        if isinstance(value, dict):
            continue
        name = key.replace("-", "_")
        if name not in SPECS_BY_NAME:
            known = ", ".join(spec.name for spec in SPECS)
            raise ConfigError(f"{path}: unknown setting {key!r} (known: {known})")
        values[name] = value
    return values


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Settings from defaults < TOML file < environment < explicit overrides (CLI flags).

    `config_file` None means `glpi-scim.toml` in the working directory when it exists (or the
    file named by GLPI_SCIM_CONFIG). Overrides whose value is None are ignored.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    path: Path | None
    if config_file is not None:
        path = Path(config_file)
    elif env.get("GLPI_SCIM_CONFIG"):
        path = Path(env["GLPI_SCIM_CONFIG"])
    else:
        default = Path(DEFAULT_CONFIG_FILE)
        path = default if default.is_file() else None
    if path is not None:
        for name, raw in read_config_file(path).items():
            values[name] = _convert(SPECS_BY_NAME[name], raw, f"file {path}")
            sources[name] = "file"

    for spec in SPECS:
        raw = env.get(spec.env_var)
        if raw is not None and raw != "":
            values[spec.name] = _convert(spec, raw, f"environment {spec.env_var}")
            sources[spec.name] = "env"

    for name, raw in (overrides or {}).items():
        if raw is None or (isinstance(raw, tuple) and not raw):
            continue
        spec = SPECS_BY_NAME[name]
        values[name] = _convert(spec, raw, "command line")
        sources[name] = "cli"

    prefix = values.get("url_prefix")
    if prefix is not None:
        values["url_prefix"] = "/" + prefix.strip("/") if prefix.strip("/") else ""
    console_path = values.get("console_path")
    if console_path is not None:
        if not console_path.strip("/"):
            raise ConfigError("console_path: the console needs a path of its own, e.g. /console")
        values["console_path"] = "/" + console_path.strip("/")
    return Settings(**values, sources=sources, config_path=str(path) if path is not None else None)


assert {f.name for f in fields(Settings)} - {"sources", "config_path"} == set(SPECS_BY_NAME)
