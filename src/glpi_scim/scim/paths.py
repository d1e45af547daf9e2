"""Attribute paths (RFC 7644 §3.10) and PATCH paths with value filters (§3.5.2).

    userName                 name.givenName
    urn:ietf:params:scim:schemas:core:2.0:User:name.givenName
    urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value
    emails[type eq "work" and primary eq true].value      (PATCH only)

Names are case-insensitive; a bare schema URN parses as `AttrPath(attr=<urn>)`.
"""

from __future__ import annotations

from functools import lru_cache

from glpi_scim.scim.ast import AttrPath, PatchPath
from glpi_scim.scim.errors import InvalidPath
from glpi_scim.scim.filter import DEFAULT_MAX_DEPTH, check_leaf, check_value_path
from glpi_scim.scim.grammar import GrammarError, Hooks, Parser, locate, parse_attr_path_token
from glpi_scim.scim.schemas import SCHEMAS, ResourceType, resource_type

MAX_PATH_LENGTH = 4096


def _known_schema_urn(text: str, rt: ResourceType | None) -> bool:
    if rt is not None:
        return rt.schema_by_urn(text) is not None
    return text.lower() in SCHEMAS


def parse_attr_path(text: str, resource_type_: str | ResourceType | None = None) -> AttrPath:
    """Parse `[urn:...:]attr[.sub]` (no value filter). Raises InvalidPath.

    With a resource type, a bare schema URN of that type is accepted as `AttrPath(attr=urn)`.
    Names are not checked against the schema here (see schemas.resolve).
    """
    stripped = text.strip()
    rt = resource_type(resource_type_) if resource_type_ is not None else None
    if _known_schema_urn(stripped, rt):
        return AttrPath(stripped)
    try:
        return parse_attr_path_token(stripped, 0)
    except GrammarError as exc:
        raise InvalidPath(f"invalid attribute path: {locate(stripped, exc)}") from None


def parse_attr_list(
    text: str, resource_type_: str | ResourceType | None = None
) -> tuple[AttrPath, ...]:
    """A comma-separated list of attribute paths (`attributes=userName,name.givenName`)."""
    return tuple(parse_attr_path(part, resource_type_) for part in text.split(",") if part.strip())


def parse_path(text: str, resource_type_: str | ResourceType | None = None) -> PatchPath:
    """Parse a PATCH `path`. Raises InvalidPath (syntax, or a filter the schema refuses).

    With a resource type, the attributes inside a value filter are checked against the schema,
    and a bare schema URN of that type gives `PatchPath(AttrPath(attr=urn))`.
    """
    if len(text) > MAX_PATH_LENGTH:
        raise InvalidPath(f"the path is longer than {MAX_PATH_LENGTH} characters")
    name = resource_type(resource_type_).name if resource_type_ is not None else None
    if len(text) <= 512:
        return _parse_path_cached(text, name)
    return _parse_path(text, name)


def _parse_path(text: str, resource_type_name: str | None) -> PatchPath:
    stripped = text.strip()
    rt = resource_type(resource_type_name) if resource_type_name is not None else None
    if _known_schema_urn(stripped, rt):
        return PatchPath(AttrPath(stripped))
    hooks = Hooks()
    if rt is not None:
        checked = rt
        hooks = Hooks(
            leaf=lambda leaf, scope: check_leaf(checked, leaf, scope),
            value_path=lambda path: check_value_path(checked, path),
        )
    try:
        parser = Parser(stripped, max_depth=DEFAULT_MAX_DEPTH, hooks=hooks)
        return parser.parse_patch_path()
    except GrammarError as exc:
        raise InvalidPath(f"invalid path: {locate(stripped, exc)}") from None


_parse_path_cached = lru_cache(maxsize=1024)(_parse_path)
