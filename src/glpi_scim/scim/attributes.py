"""Attribute and schema definitions with their characteristics (RFC 7643 sections 2 and 7).

Definitions are immutable and carry precomputed lower-case lookups, so that resolving a name
sent by a client costs one dict access.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

AttrType = Literal[
    "string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary"
]
MutabilityValue = Literal["readOnly", "readWrite", "immutable", "writeOnly"]
ReturnedValue = Literal["always", "never", "default", "request"]
UniquenessValue = Literal["none", "server", "global"]

SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


@dataclass(frozen=True, eq=False)
class Attribute:
    """One attribute or sub-attribute of a schema, with every characteristic of RFC 7643 §7."""

    name: str
    type: AttrType = "string"
    multi_valued: bool = False
    description: str = ""
    required: bool = False
    case_exact: bool = False
    mutability: MutabilityValue = "readWrite"
    returned: ReturnedValue = "default"
    uniqueness: UniquenessValue = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[Attribute, ...] = ()
    key: str = field(init=False, repr=False)
    _subs: dict[str, Attribute] = field(init=False, repr=False)
    _canonical: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.name.lower())
        object.__setattr__(self, "_subs", {sub.key: sub for sub in self.sub_attributes})
        object.__setattr__(self, "_canonical", {v.lower(): v for v in self.canonical_values})

    @property
    def is_complex(self) -> bool:
        return self.type == "complex"

    @property
    def read_only(self) -> bool:
        return self.mutability == "readOnly"

    def sub(self, name: str) -> Attribute | None:
        """The sub-attribute called `name`, whatever its case."""
        return self._subs.get(name.lower())

    def canonical(self, value: str) -> str:
        """`value` spelled as the canonical value it matches case-insensitively, else as is."""
        return self._canonical.get(value.lower(), value)

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
        }
        if self.type in ("string", "reference", "binary"):
            doc["caseExact"] = self.case_exact
        if self.canonical_values:
            doc["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            doc["referenceTypes"] = list(self.reference_types)
        if self.sub_attributes:
            doc["subAttributes"] = [sub.to_document() for sub in self.sub_attributes]
        doc["mutability"] = self.mutability
        doc["returned"] = self.returned
        if self.type != "complex" and self.type != "boolean":
            doc["uniqueness"] = self.uniqueness
        return doc


@dataclass(frozen=True, eq=False)
class Schema:
    """A schema (RFC 7643 §7): a URN and its attributes."""

    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    key: str = field(init=False, repr=False)
    _attrs: dict[str, Attribute] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", self.id.lower())
        object.__setattr__(self, "_attrs", {attr.key: attr for attr in self.attributes})

    def attribute(self, name: str) -> Attribute | None:
        return self._attrs.get(name.lower())

    def to_document(self, location: str | None = None) -> dict[str, Any]:
        meta: dict[str, Any] = {"resourceType": "Schema"}
        if location:
            meta["location"] = location
        return {
            "schemas": [SCHEMA_SCHEMA],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [attr.to_document() for attr in self.attributes],
            "meta": meta,
        }
