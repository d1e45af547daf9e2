"""The schemas this server serves: core User (RFC 7643 §4.1), Enterprise User (§4.3), Group (§4.2).

Also the resource types (§6), the attribute lookup every other module uses, and the discovery
documents: `/Schemas`, `/ResourceTypes` and `/ServiceProviderConfig` (§5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from glpi_scim.scim.ast import AttrPath
from glpi_scim.scim.attributes import Attribute, AttrType, Schema
from glpi_scim.scim.store import GROUP, USER

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"

# Pre-RFC URNs still sent by some clients; accepted on input, never written.
LEGACY_CORE = "urn:scim:schemas:core:2.0"
_LEGACY_ENTERPRISE = "urn:scim:schemas:extension:enterprise:2.0"


def _attr(name: str, description: str, type_: AttrType = "string", **kw: Any) -> Attribute:
    return Attribute(name, type_, description=description, **kw)


def _multi(name: str, description: str, subs: Sequence[Attribute], **kw: Any) -> Attribute:
    return Attribute(
        name,
        "complex",
        multi_valued=True,
        description=description,
        sub_attributes=tuple(subs),
        **kw,
    )


def _value_subs(
    value_description: str,
    types: Sequence[str],
    *,
    value_type: AttrType = "string",
    value_case_exact: bool = False,
    reference_types: tuple[str, ...] = (),
) -> list[Attribute]:
    """value, display, type, primary: the usual shape of a multi-valued attribute (§2.4)."""
    return [
        _attr(
            "value",
            value_description,
            value_type,
            case_exact=value_case_exact,
            reference_types=reference_types,
        ),
        _attr("display", "A human-readable name, primarily used for display purposes."),
        _attr(
            "type", "A label indicating the attribute's function.", canonical_values=tuple(types)
        ),
        _attr(
            "primary",
            "A Boolean value indicating the 'primary' or preferred attribute value.",
            "boolean",
        ),
    ]


# Common attributes (§3.1): part of every resource, not listed in the /Schemas documents.
COMMON_ATTRIBUTES: tuple[Attribute, ...] = (
    _attr(
        "id",
        "Unique identifier for the SCIM resource as defined by the service provider.",
        case_exact=True,
        mutability="readOnly",
        returned="always",
        uniqueness="server",
    ),
    _attr(
        "externalId",
        "Identifier of the resource as defined by the provisioning client.",
        case_exact=True,
    ),
    Attribute(
        "meta",
        "complex",
        description="Resource metadata.",
        mutability="readOnly",
        sub_attributes=(
            _attr(
                "resourceType", "Name of the resource type.", case_exact=True, mutability="readOnly"
            ),
            _attr("created", "When the resource was added.", "dateTime", mutability="readOnly"),
            _attr(
                "lastModified",
                "When the resource was last modified.",
                "dateTime",
                mutability="readOnly",
            ),
            _attr(
                "location",
                "URI of the resource.",
                "reference",
                case_exact=True,
                mutability="readOnly",
                reference_types=("uri",),
            ),
            _attr(
                "version", "Version (ETag) of the resource.", case_exact=True, mutability="readOnly"
            ),
        ),
    ),
)

USER_CORE = Schema(
    USER_SCHEMA,
    "User",
    "User Account",
    (
        _attr(
            "userName",
            "Unique identifier for the User, typically used to authenticate to the service.",
            required=True,
            uniqueness="server",
        ),
        Attribute(
            "name",
            "complex",
            description="The components of the user's real name.",
            sub_attributes=(
                _attr("formatted", "The full name, formatted for display."),
                _attr("familyName", "The family name of the User."),
                _attr("givenName", "The given name of the User."),
                _attr("middleName", "The middle name(s) of the User."),
                _attr("honorificPrefix", "The honorific prefix(es) of the User."),
                _attr("honorificSuffix", "The honorific suffix(es) of the User."),
            ),
        ),
        _attr("displayName", "The name of the User, suitable for display to end-users."),
        _attr("nickName", "The casual way to address the user in real life."),
        _attr(
            "profileUrl",
            "A fully qualified URL pointing to a page representing the User's online profile.",
            "reference",
            case_exact=True,
            reference_types=("external",),
        ),
        _attr("title", "The user's title, such as 'Vice President'."),
        _attr(
            "userType", "Used to identify the relationship between the organization and the user."
        ),
        _attr("preferredLanguage", "The User's preferred written or spoken language."),
        _attr("locale", "The User's default location for localizing values."),
        _attr("timezone", "The User's time zone in the 'Olson' time zone database format."),
        _attr("active", "A Boolean value indicating the User's administrative status.", "boolean"),
        _attr(
            "password",
            "The User's cleartext password, used to set or change it; never returned.",
            mutability="writeOnly",
            returned="never",
        ),
        _multi(
            "emails",
            "Email addresses for the user.",
            _value_subs("Email address for the user.", ("work", "home", "other")),
        ),
        _multi(
            "phoneNumbers",
            "Phone numbers for the User.",
            _value_subs(
                "Phone number of the User.", ("work", "home", "mobile", "fax", "pager", "other")
            ),
        ),
        _multi(
            "ims",
            "Instant messaging addresses for the User.",
            _value_subs(
                "Instant messaging address for the User.",
                ("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"),
            ),
        ),
        _multi(
            "photos",
            "URLs of images of the User.",
            _value_subs(
                "URL of a photo of the User.",
                ("photo", "thumbnail"),
                value_type="reference",
                value_case_exact=True,
                reference_types=("external",),
            ),
        ),
        _multi(
            "addresses",
            "A physical mailing address for this User.",
            [
                _attr("formatted", "The full mailing address, formatted for display."),
                _attr("streetAddress", "The full street address component."),
                _attr("locality", "The city or locality component."),
                _attr("region", "The state or region component."),
                _attr("postalCode", "The zip code or postal code component."),
                _attr("country", "The country name component."),
                _attr(
                    "type",
                    "A label indicating the attribute's function.",
                    canonical_values=("work", "home", "other"),
                ),
                _attr("primary", "Whether this is the primary address.", "boolean"),
            ],
        ),
        _multi(
            "groups",
            "A list of groups to which the user belongs.",
            [
                _attr(
                    "value",
                    "The identifier of the User's group.",
                    case_exact=True,
                    mutability="readOnly",
                ),
                _attr(
                    "$ref",
                    "The URI of the corresponding 'Group' resource.",
                    "reference",
                    case_exact=True,
                    mutability="readOnly",
                    reference_types=("User", "Group"),
                ),
                _attr("display", "A human-readable name of the group.", mutability="readOnly"),
                _attr(
                    "type",
                    "How the membership was derived.",
                    canonical_values=("direct", "indirect"),
                    mutability="readOnly",
                ),
            ],
            mutability="readOnly",
        ),
        _multi(
            "entitlements",
            "A list of entitlements for the User.",
            _value_subs("The value of an entitlement.", ()),
        ),
        _multi("roles", "A list of roles for the User.", _value_subs("The value of a role.", ())),
        _multi(
            "x509Certificates",
            "A list of certificates issued to the User.",
            _value_subs(
                "The value of an X.509 certificate.", (), value_type="binary", value_case_exact=True
            ),
        ),
    ),
)

ENTERPRISE_USER = Schema(
    ENTERPRISE_USER_SCHEMA,
    "EnterpriseUser",
    "Enterprise User",
    (
        _attr("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
        _attr("costCenter", "Identifies the name of a cost center."),
        _attr("organization", "Identifies the name of an organization."),
        _attr("division", "Identifies the name of a division."),
        _attr("department", "Identifies the name of a department."),
        Attribute(
            "manager",
            "complex",
            description="The User's manager.",
            sub_attributes=(
                _attr(
                    "value",
                    "The id of the SCIM resource representing the manager.",
                    case_exact=True,
                ),
                _attr(
                    "$ref",
                    "The URI of the SCIM resource representing the User's manager.",
                    "reference",
                    case_exact=True,
                    reference_types=("User",),
                ),
                # Filled from GLPI, so never what a client sent: only on request (RFC 7643
                # §2.4 `returned: request`), which keeps round-trip comparisons exact.
                _attr(
                    "displayName",
                    "The displayName of the User's manager.",
                    mutability="readOnly",
                    returned="request",
                ),
            ),
        ),
    ),
)

GROUP_CORE = Schema(
    GROUP_SCHEMA,
    "Group",
    "Group",
    (
        # RFC 7643 §4.2 makes displayName REQUIRED; this server also keeps it unique.
        _attr(
            "displayName",
            "A human-readable name for the Group.",
            required=True,
            uniqueness="server",
        ),
        _multi(
            "members",
            "A list of members of the Group.",
            [
                # Required here (RFC 7643 §8.7.1 does not say): a member without an id is
                # nothing a store can write.
                _attr(
                    "value",
                    "Identifier of the member of this Group.",
                    case_exact=True,
                    mutability="immutable",
                    required=True,
                ),
                _attr(
                    "$ref",
                    "The URI corresponding to a SCIM resource that is a member of this Group.",
                    "reference",
                    case_exact=True,
                    mutability="immutable",
                    reference_types=("User", "Group"),
                ),
                _attr(
                    "type",
                    "The type of the member.",
                    canonical_values=("User", "Group"),
                    mutability="immutable",
                ),
                # GLPI's name of the member: returned on request (attributes=members.display),
                # so a default read of a large group needs no join to glpi_users.
                _attr(
                    "display",
                    "A human-readable name of the member.",
                    mutability="readOnly",
                    returned="request",
                ),
            ],
        ),
    ),
)

SCHEMAS: dict[str, Schema] = {s.key: s for s in (USER_CORE, ENTERPRISE_USER, GROUP_CORE)}


@dataclass(frozen=True, slots=True)
class Resolved:
    """An attribute path bound to its definition. `sub` is set for `attr.sub` paths."""

    schema: Schema
    attribute: Attribute
    sub: Attribute | None = None
    extension: bool = False

    @property
    def target(self) -> Attribute:
        """The attribute the path designates: the sub-attribute when there is one."""
        return self.sub or self.attribute

    @property
    def container(self) -> str | None:
        """The key of the dict holding the attribute in a resource: the extension URN, or None."""
        return self.schema.id if self.extension else None

    def __str__(self) -> str:
        name = f"{self.attribute.name}.{self.sub.name}" if self.sub else self.attribute.name
        return f"{self.schema.id}:{name}" if self.extension else name


@dataclass(frozen=True, eq=False)
class ResourceType:
    """A resource type (RFC 7643 §6) with precomputed case-insensitive lookups."""

    name: str
    endpoint: str
    description: str
    schema: Schema
    extensions: tuple[Schema, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    _schemas: dict[str, Schema] = field(init=False, repr=False)
    _core: dict[str, Attribute] = field(init=False, repr=False)
    _cache: dict[tuple[str | None, str, str | None], Resolved] = field(init=False, repr=False)
    _key_cache: dict[str, Resolved | Schema] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        schemas = {s.key: s for s in (self.schema, *self.extensions)}
        for alias, target in self.aliases.items():
            schemas[alias.lower()] = schemas[target.lower()]
        object.__setattr__(self, "_schemas", schemas)
        core = {a.key: a for a in COMMON_ATTRIBUTES}
        core.update({a.key: a for a in self.schema.attributes})
        object.__setattr__(self, "_core", core)
        object.__setattr__(self, "_cache", {})
        object.__setattr__(self, "_key_cache", {})

    def schema_by_urn(self, urn: str) -> Schema | None:
        """The schema a URN names for this type, legacy aliases included, case-insensitively."""
        return self._schemas.get(urn.lower())

    def is_extension(self, schema: Schema) -> bool:
        return schema is not self.schema

    def core_attributes(self) -> tuple[Attribute, ...]:
        return (*COMMON_ATTRIBUTES, *self.schema.attributes)

    def resolve(self, path: AttrPath) -> Resolved | None:
        """The definition of `path`, or None when this type has no such attribute."""
        key = path.key
        found = self._cache.get(key)
        if found is not None:
            return found
        schema_key, attr_key, sub_key = key
        if schema_key is None:
            schema: Schema | None = self.schema
            attribute = self._core.get(attr_key)
        else:
            schema = self._schemas.get(schema_key)
            if schema is None:
                return None
            attribute = (
                self._core.get(attr_key) if schema is self.schema else schema.attribute(attr_key)
            )
        if attribute is None or schema is None:
            return None
        sub = None
        if sub_key is not None:
            sub = attribute.sub(sub_key)
            if sub is None:
                return None
        resolved = Resolved(schema, attribute, sub, self.is_extension(schema))
        self._cache[key] = resolved  # bounded: only names the schema declares get here
        return resolved

    def resolve_key(self, key: str) -> Resolved | Schema | None:
        """Resolve a JSON member name of a request body.

        Accepts `userName`, `name.givenName`, a schema URN (the extension container itself, or
        the core schema), and URN-qualified names such as `urn:...:enterprise:2.0:User:manager`.
        """
        lowered = key.lower()  # the cache key: bounded by the names the schema declares
        found = self._key_cache.get(lowered)
        if found is not None:
            return found
        result: Resolved | Schema | None = self.schema_by_urn(lowered)
        if result is None:
            path = split_attr_path(key)
            result = self.resolve(path) if path is not None else None
        if result is not None:
            self._key_cache[lowered] = result
        return result

    def to_document(self, location: str | None = None) -> dict[str, Any]:
        meta: dict[str, Any] = {"resourceType": "ResourceType"}
        if location:
            meta["location"] = location
        return {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.schema.id,
            "schemaExtensions": [{"schema": ext.id, "required": False} for ext in self.extensions],
            "meta": meta,
        }


def split_attr_path(text: str) -> AttrPath | None:
    """Split `[urn:...:]attr[.sub]` without validating names; None when it has no attribute."""
    schema: str | None = None
    rest = text
    if text[:4].lower() == "urn:":
        schema, _, rest = text.rpartition(":")
        if not schema or not rest:
            return None
    attr, dot, sub = rest.partition(".")
    if not attr or (dot and not sub) or "." in sub:
        return None
    return AttrPath(attr, sub or None, schema)


USER_TYPE = ResourceType(
    USER,
    "/Users",
    "User Account",
    USER_CORE,
    (ENTERPRISE_USER,),
    {
        LEGACY_CORE: USER_SCHEMA,
        f"{LEGACY_CORE}:User": USER_SCHEMA,
        _LEGACY_ENTERPRISE: ENTERPRISE_USER_SCHEMA,
        f"{_LEGACY_ENTERPRISE}:User": ENTERPRISE_USER_SCHEMA,
    },
)
GROUP_TYPE = ResourceType(
    GROUP,
    "/Groups",
    "Group",
    GROUP_CORE,
    (),
    {LEGACY_CORE: GROUP_SCHEMA, f"{LEGACY_CORE}:Group": GROUP_SCHEMA},
)
RESOURCE_TYPES: dict[str, ResourceType] = {USER: USER_TYPE, GROUP: GROUP_TYPE}
_BY_LOWER_NAME = {name.lower(): rt for name, rt in RESOURCE_TYPES.items()}


def resource_type(name: str | ResourceType) -> ResourceType:
    """The ResourceType for "User" or "Group" (any case); ValueError for anything else."""
    if isinstance(name, ResourceType):
        return name
    found = _BY_LOWER_NAME.get(name.lower())
    if found is None:
        raise ValueError(f"unknown resource type {name!r}")
    return found


def resolve(rt: str | ResourceType, path: AttrPath) -> Resolved | None:
    """Look up the definition of an attribute path, case-insensitively."""
    return resource_type(rt).resolve(path)


def get_schema(schema_id: str) -> Schema | None:
    return SCHEMAS.get(schema_id.lower())


def _join(base_url: str | None, *parts: str) -> str | None:
    if base_url is None:
        return None
    return "/".join([base_url.rstrip("/"), *parts])


def schema_documents(base_url: str | None = None) -> list[dict[str, Any]]:
    """Every schema as served by `/Schemas` (RFC 7643 §7)."""
    return [s.to_document(_join(base_url, "Schemas", s.id)) for s in SCHEMAS.values()]


def resource_type_documents(base_url: str | None = None) -> list[dict[str, Any]]:
    """Every resource type as served by `/ResourceTypes` (RFC 7643 §6)."""
    return [
        rt.to_document(_join(base_url, "ResourceTypes", rt.name)) for rt in RESOURCE_TYPES.values()
    ]


def service_provider_config(
    *,
    authentication_schemes: Sequence[Mapping[str, Any]],
    patch: bool = True,
    bulk: bool = True,
    bulk_max_operations: int = 1000,
    bulk_max_payload_size: int = 1_048_576,
    filter: bool = True,
    filter_max_results: int = 200,
    sort: bool = True,
    etag: bool = True,
    change_password: bool = False,
    documentation_uri: str | None = None,
    location: str | None = None,
) -> dict[str, Any]:
    """The `/ServiceProviderConfig` document (RFC 7643 §5) for what the server really does."""
    meta: dict[str, Any] = {"resourceType": "ServiceProviderConfig"}
    if location:
        meta["location"] = location
    doc: dict[str, Any] = {"schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA]}
    if documentation_uri:
        doc["documentationUri"] = documentation_uri
    doc.update(
        {
            "patch": {"supported": patch},
            "bulk": {
                "supported": bulk,
                "maxOperations": bulk_max_operations if bulk else 0,
                "maxPayloadSize": bulk_max_payload_size if bulk else 0,
            },
            "filter": {"supported": filter, "maxResults": filter_max_results if filter else 0},
            "changePassword": {"supported": change_password},
            "sort": {"supported": sort},
            "etag": {"supported": etag},
            "authenticationSchemes": [dict(s) for s in authentication_schemes],
            "meta": meta,
        }
    )
    return doc
