"""GLPI's `config/config_db.php`, read without PHP.

GLPI writes the file itself (`class DB extends DBmysql { public $dbhost = '...'; ... }`), so only
literal property values are supported: single- or double-quoted strings, numbers, booleans, null
and, for `$dbhost`, a list of hosts (GLPI picks one at random; the first is used here). The
password is stored rawurlencoded. The host is `host`, `host:port` or `host:/path/to/socket`, as
GLPI's DBmysql::connect() splits it; `localhost` without a port means the local socket, as for
PHP's mysqli.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from glpi_scim.db.errors import DatabaseConfigError

CONFIG_FILE = "config_db.php"

# Where MySQL/MariaDB packages put the server socket; mysqli's "localhost" means one of these.
DEFAULT_SOCKETS = (
    "/run/mysqld/mysqld.sock",
    "/var/run/mysqld/mysqld.sock",
    "/var/lib/mysql/mysql.sock",
    "/tmp/mysql.sock",  # noqa: S108 - a socket path to look for, not a file written
)

PhpValue = str | int | bool | None | tuple[str, ...]

# A value runs to the first `;` outside quotes.
_PROPERTY = re.compile(
    r"\b(?:public|var|protected|private)\s+(?:static\s+)?\$(?P<name>\w+)\s*=\s*"
    r"(?P<value>(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^;'\"])*);",
    re.IGNORECASE | re.DOTALL,
)
_SINGLE_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'", re.DOTALL)
_DOUBLE_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_DOUBLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "f": "\f", "e": "\x1b"}
_INTERPOLATION = re.compile(r"(?<!\\)\$(?:[A-Za-z_{])")


@dataclass(frozen=True)
class GlpiDbConfig:
    """The connection GLPI itself uses."""

    host: str
    user: str
    password: str  # decoded
    database: str
    port: int | None = None
    socket: str | None = None
    ssl: bool = False
    ssl_key: str | None = None
    ssl_cert: str | None = None
    ssl_ca: str | None = None
    ssl_capath: str | None = None
    ssl_cipher: str | None = None
    source: str = ""  # the file it was read from, for messages

    def url(self) -> str:
        """A mysql+pymysql URL with the password escaped and utf8mb4 as GLPI 10 uses."""
        # Imported here: reading the file (dbapi.direct_target) needs no SQLAlchemy.
        from sqlalchemy import URL

        query: dict[str, str] = {"charset": "utf8mb4"}
        if self.socket:
            query["unix_socket"] = self.socket
        if self.ssl:
            files = {
                "ssl_key": self.ssl_key,
                "ssl_cert": self.ssl_cert,
                "ssl_ca": self.ssl_ca,
                "ssl_capath": self.ssl_capath,
                "ssl_cipher": self.ssl_cipher,
            }
            query.update({key: value for key, value in files.items() if value})
            if not (self.ssl_ca or self.ssl_capath):
                # GLPI encrypts without verifying the server when no CA is configured.
                query["ssl_check_hostname"] = "false"
        return URL.create(
            "mysql+pymysql",
            username=self.user or None,
            password=self.password or None,
            host=self.host or None,
            port=self.port,
            database=self.database,
            query=query,
        ).render_as_string(hide_password=False)


def strip_php_comments(source: str) -> str:
    """The source with `//`, `#` and `/* */` comments removed, string literals kept intact."""
    out: list[str] = []
    index, length = 0, len(source)
    while index < length:
        char = source[index]
        if char in "'\"":
            end = index + 1
            while end < length and source[end] != char:
                end += 2 if source[end] == "\\" else 1
            out.append(source[index : end + 1])
            index = end + 1
        elif source.startswith("/*", index):
            end = source.find("*/", index + 2)
            index = length if end < 0 else end + 2
        elif char == "#" or source.startswith("//", index):
            end = source.find("\n", index)
            index = length if end < 0 else end
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _decode_double_quoted(body: str, name: str, origin: str) -> str:
    if _INTERPOLATION.search(body):
        raise DatabaseConfigError(
            f"{origin}: ${name} interpolates a PHP variable; only literal values can be read. "
            "Use --database URL instead"
        )

    def replace(match: re.Match[str]) -> str:
        escaped = match.group(1)
        if escaped in _DOUBLE_ESCAPES:
            return _DOUBLE_ESCAPES[escaped]
        if escaped in '\\"$':
            return escaped
        return "\\" + escaped  # PHP keeps unknown escapes as written

    return re.sub(r"\\(.)", replace, body, flags=re.DOTALL)


def parse_php_value(text: str, name: str, origin: str) -> PhpValue:
    """One literal value of a property declaration."""
    text = text.strip()
    if match := _SINGLE_QUOTED.fullmatch(text):
        return re.sub(r"\\([\\'])", r"\1", match.group(1))
    if match := _DOUBLE_QUOTED.fullmatch(text):
        return _decode_double_quoted(match.group(1), name, origin)
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    array = re.fullmatch(r"(?:\[(?P<short>.*)\]|array\s*\((?P<long>.*)\))", text, re.DOTALL | re.I)
    if array:
        inner = array.group("short") if array.group("short") is not None else array.group("long")
        items = [item for item in _split_items(inner) if item.strip()]
        values = [parse_php_value(item, name, origin) for item in items]
        if all(isinstance(value, str) for value in values):
            return tuple(str(value) for value in values)
    raise DatabaseConfigError(
        f"{origin}: ${name} is not a literal value ({text[:60]!r}); only quoted strings, "
        "numbers, true/false and null can be read. Use --database URL instead"
    )


def _split_items(inner: str) -> list[str]:
    items, current, quote = [], [], ""
    index = 0
    while index < len(inner):
        char = inner[index]
        if quote:
            current.append(char)
            if char == "\\" and index + 1 < len(inner):
                current.append(inner[index + 1])
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    items.append("".join(current))
    return items


def parse_properties(source: str, origin: str = CONFIG_FILE) -> dict[str, PhpValue]:
    """Every `public $name = literal;` of the file, by name."""
    return {
        match.group("name"): parse_php_value(match.group("value"), match.group("name"), origin)
        for match in _PROPERTY.finditer(strip_php_comments(source))
    }


def split_host(host: str, origin: str) -> tuple[str, int | None, str | None]:
    """`host`, `host:port` or `host:/socket` -> (host, port, socket), as GLPI reads $dbhost."""
    name, colon, rest = host.partition(":")
    if not colon:
        return host, None, None
    if rest.isdigit() and int(rest) > 0:
        if int(rest) > 65535:
            raise DatabaseConfigError(f"{origin}: $dbhost {host!r} names port {rest}, above 65535")
        return name, int(rest), None
    if rest:
        return name, None, rest
    return name, None, None


def _text(properties: dict[str, PhpValue], name: str, origin: str, required: bool) -> str | None:
    value = properties.get(name)
    if value is None or value == "":
        if required:
            raise DatabaseConfigError(
                f"{origin}: ${name} is missing; is this GLPI's config_db.php?"
            )
        return None
    if isinstance(value, tuple):
        raise DatabaseConfigError(f"{origin}: ${name} must be a single value")
    return str(value)


def config_from_source(source: str, origin: str = CONFIG_FILE) -> GlpiDbConfig:
    properties = parse_properties(source, origin)
    raw_host = properties.get("dbhost")
    if isinstance(raw_host, tuple):
        raw_host = raw_host[0] if raw_host else None
    if raw_host is None or raw_host == "":
        raise DatabaseConfigError(f"{origin}: $dbhost is missing; is this GLPI's config_db.php?")
    host, port, socket = split_host(str(raw_host), origin)
    if host in ("", "localhost") and port is None and socket is None:
        socket = next((path for path in DEFAULT_SOCKETS if Path(path).exists()), None)
        host = host or "localhost"
    user = _text(properties, "dbuser", origin, required=True) or ""
    database = _text(properties, "dbdefault", origin, required=True) or ""
    password = unquote(_text(properties, "dbpassword", origin, required=False) or "")
    return GlpiDbConfig(
        host=host,
        user=user,
        password=password,
        database=database,
        port=port,
        socket=socket,
        ssl=bool(properties.get("dbssl")),
        ssl_key=_text(properties, "dbsslkey", origin, required=False),
        ssl_cert=_text(properties, "dbsslcert", origin, required=False),
        ssl_ca=_text(properties, "dbsslca", origin, required=False),
        ssl_capath=_text(properties, "dbsslcapath", origin, required=False),
        ssl_cipher=_text(properties, "dbsslcacipher", origin, required=False),
        source=origin,
    )


def read_glpi_config(directory: str | Path) -> GlpiDbConfig:
    """The connection in `<directory>/config_db.php` (the directory may also be the file)."""
    path = Path(directory).expanduser()
    if path.is_dir():
        path = path / CONFIG_FILE
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatabaseConfigError(
            f"{path} does not exist: --glpi-config (GLPI_CONFIG_DIR) must name GLPI's config "
            "directory, the one holding config_db.php (e.g. /etc/glpi or /var/www/glpi/config)"
        ) from None
    except PermissionError:
        raise DatabaseConfigError(
            f"cannot read {path}: permission denied; run as a user that may read GLPI's "
            "configuration (e.g. the web server's group) or pass --database URL"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatabaseConfigError(f"cannot read {path}: {exc}") from None
    return config_from_source(source, str(path))
