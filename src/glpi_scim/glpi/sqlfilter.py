"""SCIM filters and sort keys -> SQL on GLPI's tables (one WHERE clause, no row loaded to test).

Semantics follow the in-memory evaluator (glpi_scim.scim.evaluate), with one deliberate
difference: strings that are not caseExact compare as GLPI's collation does (case, accents and,
for `eq`, trailing spaces ignored), so that `userName eq "x"` finds exactly the accounts GLPI
would refuse a new `x` for. Every predicate is two-valued (never SQL NULL), so `not` and `ne` are
plain negations: an unassigned attribute is `ne` anything.

Where values live:
- GLPI columns and dropdowns: each declared once in glpi/attributes/registry.py, whose
  declaration gives its target (glpi/attributes/targets.py): a column compared after GLPI's
  text encoding, a dropdown as `fk IN (SELECT id FROM its table WHERE name ...)`;
- e-mails (glpi_useremails) and memberships (glpi_groups_users): EXISTS subqueries;
- externalId and verbatim attributes: the tool's row for this server (`attributes` is JSON, read
  with json_extract/json_each on SQLite, JSON_EXTRACT/JSON_TABLE on MariaDB).

An attribute the server cannot filter on raises InvalidFilter; nothing is ever dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    and_,
    bindparam,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    text,
    true,
)

from glpi_scim.db import tables
from glpi_scim.db.collation import sqlite_equal
from glpi_scim.glpi import text as glpi_text
from glpi_scim.glpi.attributes.registry import BY_KEY, PHONES
from glpi_scim.glpi.attributes.targets import (
    BIN,
    CI,
    BoolTarget,
    Complex,
    ConstTarget,
    DateTarget,
    Frame,
    IdTarget,
    Predicate,
    Target,
    TextTarget,
    decoded,
    formatted_user_name,
    json_path,
    like_pattern,
)
from glpi_scim.scim.ast import And, AttrPath, Compare, Filter, Literal_, Not, Or, Present, ValuePath
from glpi_scim.scim.attributes import Attribute
from glpi_scim.scim.errors import InvalidFilter, InvalidValue
from glpi_scim.scim.schemas import ENTERPRISE_USER_SCHEMA as ENTERPRISE
from glpi_scim.scim.schemas import Resolved, ResourceType, resource_type
from glpi_scim.scim.store import GROUP, USER

__all__ = [
    "EQUALITY_VALUE",
    "Equality",
    "Frame",
    "SqlFilter",
    "formatted_user_name",
    "json_path",
    "like_pattern",
]


class SentPrimaryTarget:
    """An e-mail's `primary` as mapping._emails_out shows it: as the client sent it for an
    address it sent, else GLPI's is_default (shown only when set)."""

    def __init__(self, sent: LookupTarget, not_sent: Predicate, is_default: ColumnElement[Any]):
        self.sent = sent
        self.glpi_default = and_(not_sent, is_default == 1)

    def present(self) -> Predicate:
        return or_(self.sent.present(), self.glpi_default)

    def compare(self, op: str, value: Literal_) -> Predicate:
        if op != "eq" or not isinstance(value, bool):
            return false()
        sent = self.sent.compare(op, value)
        return or_(sent, self.glpi_default) if value else sent

    def sort_key(self) -> ColumnElement[Any]:
        raise InvalidValue("cannot sort by 'emails.primary'")


class LookupTarget:
    """A sub-attribute kept verbatim for an element whose value lives in a GLPI column: the type
    and display of an e-mail, found in the stored `emails` list by address."""

    def __init__(self, source: JsonArray, match: Callable[[JsonElement], Predicate], sub: str):
        self.source = source
        self.match = match
        self.sub = sub

    def _exists(self, test: Callable[[Target], Predicate]) -> Predicate:
        return self.source.exists(
            lambda element: and_(self.match(element), test(element.target(self.sub)))
        )

    def present(self) -> Predicate:
        return self._exists(lambda target: target.present())

    def compare(self, op: str, value: Literal_) -> Predicate:
        return self._exists(lambda target: target.compare(op, value))

    def sort_key(self) -> ColumnElement[Any]:
        raise InvalidValue(f"cannot sort by '{self.sub}' of this attribute")


# ---------------------------------------------------------------------------------------------
# Multi-valued attributes: sources of elements
# ---------------------------------------------------------------------------------------------


class Element(Protocol):
    def target(self, sub: str) -> Target: ...


class Elements(Protocol):
    attribute: Attribute

    def exists(self, test: Callable[[Any], Predicate]) -> Predicate: ...

    def sort_key(self, sub: str) -> ColumnElement[Any]: ...


class RowElements:
    """Elements that are rows of a GLPI table (e-mails, memberships).

    `narrow(value)`, where given, is a condition on the item implied by "some element's value
    eq `value`" that an index answers: ANDed to such a test, it lets the database start from
    the few matching rows instead of testing the EXISTS subquery for every item.
    """

    def __init__(
        self,
        attribute: Attribute,
        source: FromClause,
        correlation: Predicate,
        targets: dict[str, Callable[[], Target]],
        sort: Callable[[str], ColumnElement[Any]] | None = None,
        narrow: Callable[[str], Predicate] | None = None,
    ):
        self.attribute = attribute
        self.source = source
        self.correlation = correlation
        self.targets = targets
        self.sort = sort
        self.narrow = narrow

    def target(self, sub: str) -> Target:
        factory = self.targets.get(sub)
        if factory is None:
            raise InvalidFilter(f"'{self.attribute.name}.{sub}' cannot be used in a filter")
        return factory()

    def exists(self, test: Callable[[Any], Predicate]) -> Predicate:
        return exists(
            select(literal(1)).select_from(self.source).where(self.correlation, test(self))
        )

    def sort_key(self, sub: str) -> ColumnElement[Any]:
        if self.sort is None:
            raise InvalidValue(f"cannot sort by '{self.attribute.name}'")
        return self.sort(sub)


class VirtualElement:
    """An element made of GLPI columns (the work phone: type "work", value glpi_users.phone)."""

    def __init__(self, value: Target, fixed: dict[str, Target], others: Callable[[str], Target]):
        self.value = value
        self.fixed = fixed
        self.others = others

    def target(self, sub: str) -> Target:
        if sub == "value":
            return self.value
        return self.fixed.get(sub) or self.others(sub)


class JsonElement:
    def __init__(self, frame_sqlite: bool, attribute: Attribute, column: Callable[[str], Any]):
        self.sqlite = frame_sqlite
        self.attribute = attribute
        self.column = column

    def target(self, sub: str) -> Target:
        definition = self.attribute.sub(sub)
        if definition is None or sub == "$ref":
            raise InvalidFilter(f"'{self.attribute.name}.{sub}' cannot be used in a filter")
        expr = self.column(definition.name)
        if definition.type == "boolean":
            return BoolTarget(expr, "true", "false")
        return TextTarget(
            self.sqlite, expr, case_exact=definition.case_exact, native_binary=not self.sqlite
        )


class JsonArray:
    """Elements of a list kept verbatim in the tool's row (addresses, ims, stored e-mails...)."""

    def __init__(
        self,
        frame: Frame,
        attribute: Attribute,
        keys: Sequence[str],
        where: Callable[[JsonElement], Predicate] | None = None,
    ):
        self.frame = frame
        self.attribute = attribute
        self.keys = tuple(keys)
        self.where = where

    def exists(self, test: Callable[[Any], Predicate]) -> Predicate:
        doc = self.frame.row.c.attributes
        alias = f"scim_je{next(self.frame.aliases)}"
        if self.frame.sqlite:
            each = func.json_each(doc, json_path(*self.keys)).table_valued("value").alias(alias)
            element = JsonElement(
                True,
                self.attribute,
                lambda sub: (
                    func.json_type(each.c.value, json_path(sub))
                    if self._is_boolean(sub)
                    else func.json_extract(each.c.value, json_path(sub))
                ),
            )
            source: Any = each
        else:
            columns = ", ".join(
                f"`c_{sub.name.lstrip('$')}` "
                + ("VARCHAR(5)" if sub.type == "boolean" else "LONGTEXT")
                + f" PATH '{json_path(sub.name)}'"
                for sub in self.attribute.sub_attributes
                if sub.name != "$ref"
            )
            source = text(
                f"JSON_TABLE({self.frame.row_name}.attributes, "
                f"'{json_path(*self.keys)}[*]' COLUMNS ({columns})) AS {alias}"
            )
            element = JsonElement(
                False, self.attribute, lambda sub: literal_column(f"{alias}.`c_{sub}`")
            )
        conditions = [test(element)]
        if self.where is not None:
            conditions.insert(0, self.where(element))
        return exists(select(literal(1)).select_from(source).where(*conditions))

    def _is_boolean(self, sub: str) -> bool:
        definition = self.attribute.sub(sub)
        return definition is not None and definition.type == "boolean"

    def sort_key(self, sub: str) -> ColumnElement[Any]:
        path = json_path(*self.keys) + "[0]" + json_path(sub)[1:]
        doc = self.frame.row.c.attributes
        if self.frame.sqlite:
            return func.glpi_fold(func.json_extract(doc, path))
        return func.json_unquote(func.json_extract(doc, path)).collate(CI)


class UnionElements:
    """Elements from several sources (phone numbers: three columns and the stored list)."""

    def __init__(
        self,
        attribute: Attribute,
        virtual: Sequence[tuple[Predicate, VirtualElement]],
        stored: JsonArray,
        sort: ColumnElement[Any],
    ):
        self.attribute = attribute
        self.virtual = virtual
        self.stored = stored
        self.sort = sort

    def exists(self, test: Callable[[Any], Predicate]) -> Predicate:
        parts = [and_(present, test(element)) for present, element in self.virtual]
        parts.append(self.stored.exists(test))
        return or_(*parts)

    def sort_key(self, sub: str) -> ColumnElement[Any]:
        if sub != "value":
            raise InvalidValue(f"cannot sort by '{self.attribute.name}.{sub}'")
        return self.sort


# ---------------------------------------------------------------------------------------------
# The compiler
# ---------------------------------------------------------------------------------------------


EQUALITY_VALUE = "filter_value"


@dataclass(frozen=True)
class Equality:
    """A filter `attr eq "text"` on a single-valued text attribute: the lookup identity
    providers send before each create (`userName eq`, `externalId eq`, a group's `displayName
    eq`). Its statement depends only on `path` (canonical, so that spellings share it) and is
    built once (`SqlFilter.bound_equality`); `value` is the text as that statement binds it."""

    path: AttrPath
    value: Any


class SqlFilter:
    """Compiles filters and sort keys for one query frame."""

    def __init__(self, frame: Frame):
        self.frame = frame
        self.sqlite = frame.sqlite
        self.rt: ResourceType = resource_type(frame.resource_type)

    # -- public

    def where(self, node: Filter) -> Predicate:
        if isinstance(node, And):
            return and_(self.where(node.left), self.where(node.right))
        if isinstance(node, Or):
            return or_(self.where(node.left), self.where(node.right))
        if isinstance(node, Not):
            return not_(self.where(node.operand))
        if isinstance(node, ValuePath):
            elements = self._resolve(node.path)
            if not isinstance(elements, RowElements | JsonArray | UnionElements):
                raise InvalidFilter(f"'{node.path}' is not multi-valued")
            attribute = elements.attribute
            test = elements.exists(lambda element: self._scoped(node.filter, element, attribute))
            return _narrowed(elements, _required_value(node.filter, attribute), test)
        return self._leaf(node)

    def equality(self, node: Filter) -> Equality | None:
        """`node` as an Equality when it is `attr eq "text"` on a single-valued text attribute,
        else None (`where` then compiles it)."""
        if not isinstance(node, Compare) or node.op != "eq" or not isinstance(node.value, str):
            return None
        found = self._resolve(node.path)
        if not isinstance(found, TextTarget):
            return None
        resolved = self.rt.resolve(node.path)
        assert resolved is not None  # _resolve found it
        canonical = AttrPath(
            resolved.attribute.name,
            resolved.sub.name if resolved.sub else None,
            resolved.schema.id if resolved.extension else None,
        )
        return Equality(canonical, found.bound_operand(node.value))

    def bound_equality(self, path: AttrPath) -> Predicate:
        """What `where` compiles `path eq "text"` to, with the text bound as EQUALITY_VALUE
        (Equality.value): the same statement for every value."""
        found = self._resolve(path)
        if not isinstance(found, TextTarget):
            raise InvalidFilter(f"'{path}' is not a text attribute")
        return found.equals(bindparam(EQUALITY_VALUE))

    def sort_key(self, path: AttrPath) -> ColumnElement[Any]:
        found = self._resolve(path, sorting=True)
        if isinstance(found, Complex):
            raise InvalidValue(f"cannot sort by the complex attribute '{path}'")
        if isinstance(found, RowElements | JsonArray | UnionElements):
            return found.sort_key(_canonical_sub(found.attribute, path.sub_attr or "value"))
        key: ColumnElement[Any] = found.sort_key()
        return key

    # -- leaves

    def _leaf(self, node: Compare | Present) -> Predicate:
        found = self._resolve(node.path)
        if isinstance(found, Complex):
            if isinstance(node, Present):
                return found.present()
            raise InvalidFilter(f"'{node.path}' is complex: compare one of its sub-attributes")
        if isinstance(found, RowElements | JsonArray | UnionElements):
            sub = _canonical_sub(found.attribute, node.path.sub_attr or "value")
            return self._many(found, sub, node, node.path.sub_attr)
        return self._single(found, node)

    def _single(self, target: Target, node: Compare | Present) -> Predicate:
        if isinstance(node, Present):
            return target.present()
        if node.value is None:
            return not_(target.present()) if node.op == "eq" else target.present()
        if node.op == "ne":
            return not_(target.compare("eq", node.value))
        return target.compare(node.op, node.value)

    def _many(
        self, elements: Any, sub: str, node: Compare | Present, explicit_sub: str | None
    ) -> Predicate:
        """Some element satisfies the test; `ne` holds when no element equals the value."""

        def on(test: Callable[[Target], Predicate]) -> Predicate:
            return elements.exists(lambda element: test(element.target(sub)))  # type: ignore[no-any-return]

        if isinstance(node, Present):
            if explicit_sub is None:
                return elements.exists(lambda element: true())  # type: ignore[no-any-return]
            return on(lambda target: target.present())
        if node.value is None:
            some = elements.exists(lambda element: true())
            missing = on(lambda target: not_(target.present()))
            return or_(not_(some), missing) if node.op == "eq" else and_(some, not_(missing))
        value = node.value
        if node.op == "ne":
            return not_(on(lambda target: target.compare("eq", value)))
        test = on(lambda target: target.compare(node.op, value))
        if node.op == "eq" and sub == "value" and isinstance(value, str):
            return _narrowed(elements, value, test)
        return test

    def _scoped(self, node: Filter, element: Any, attribute: Attribute) -> Predicate:
        """A filter inside `attr[...]`, on one element."""
        if isinstance(node, And):
            return and_(
                self._scoped(node.left, element, attribute),
                self._scoped(node.right, element, attribute),
            )
        if isinstance(node, Or):
            return or_(
                self._scoped(node.left, element, attribute),
                self._scoped(node.right, element, attribute),
            )
        if isinstance(node, Not):
            return not_(self._scoped(node.operand, element, attribute))
        if isinstance(node, ValuePath):
            raise InvalidFilter("value filters cannot be nested")
        return self._single(element.target(_canonical_sub(attribute, node.path.attr)), node)

    # -- attribute resolution

    def _resolve(self, path: AttrPath, *, sorting: bool = False) -> Any:
        resolved = self.rt.resolve(path)
        if resolved is None:
            raise InvalidFilter(f"unknown attribute '{path}'")
        if resolved.target.returned == "never":
            raise InvalidFilter(f"'{path}' cannot be used in a filter")
        if resolved.sub is not None and resolved.sub.name == "$ref":
            raise InvalidFilter(f"'{path}' cannot be used in a filter")
        user = self.frame.resource_type == USER
        found = self._user(resolved) if user else self._group(resolved)
        if found is None:
            raise InvalidFilter(f"'{path}' cannot be used in a filter")
        return found

    def _common(self, resolved: Resolved, item: FromClause) -> Any:
        row = self.frame.row
        name, sub = resolved.attribute.name, resolved.sub.name if resolved.sub else None
        if resolved.extension:
            return None
        if name == "id":
            return IdTarget(self.sqlite, item.c.id, resource_type=self.frame.resource_type)
        if name == "externalId":
            return TextTarget(self.sqlite, row.c.external_id, case_exact=True)
        if name == "meta":
            created = func.coalesce(item.c.date_creation, item.c.date_mod)
            modified = func.coalesce(item.c.date_mod, item.c.date_creation)
            if sub is None:
                return Complex(true())
            if sub == "created":
                return DateTarget(created)
            if sub == "lastModified":
                return DateTarget(modified)
            if sub == "resourceType":
                return ConstTarget(self.frame.resource_type, case_exact=True)
            raise InvalidFilter(f"'meta.{sub}' cannot be used in a filter")
        return None

    def _stored_text(self, attribute: Attribute, *keys: str) -> TextTarget:
        doc = self.frame.row.c.attributes
        path = json_path(*keys)
        if self.sqlite:
            expr: ColumnElement[Any] = func.json_extract(doc, path)
        else:
            expr = func.json_unquote(func.json_extract(doc, path))
        return TextTarget(
            self.sqlite, expr, case_exact=attribute.case_exact, native_binary=not self.sqlite
        )

    def _user(self, resolved: Resolved) -> Any:
        users = self.frame.item
        found = self._common(resolved, users)
        if found is not None:
            return found
        attribute, sub = resolved.attribute, resolved.sub
        container = ENTERPRISE if resolved.extension else None
        key = (container, attribute.name, sub.name if sub else None)
        declared = BY_KEY.get(key)
        if declared is not None:
            return declared.target(self.frame, key)
        name = attribute.name
        # Multi-valued attributes whose elements are GLPI rows or columns: their element
        # sources are this module's (RowElements, UnionElements over JsonArray).
        if container is None:
            if name == "emails":
                return self._emails(attribute)
            if name == "phoneNumbers":
                return self._phones(attribute)
            if name == "groups":
                return self._user_groups(attribute)
            if name == "name":
                if sub is None:
                    return Complex(
                        or_(*(self._user_name_part(s).present() for s in attribute.sub_attributes))
                    )
                return self._user_name_part(sub)
        if attribute.multi_valued and attribute.is_complex:
            keys = (container, name) if container else (name,)
            return JsonArray(self.frame, attribute, keys)
        if attribute.is_complex:
            return None
        keys = (container, name) if container else (name,)
        if sub is not None:
            keys = (*keys, sub.name)
        return self._stored_text(resolved.target, *keys)

    def _user_name_part(self, sub: Attribute) -> Target:
        key = (None, "name", sub.name)
        declared = BY_KEY.get(key)
        if declared is not None:
            target: Target = declared.target(self.frame, key)
            return target
        return self._stored_text(sub, "name", sub.name)

    def _emails(self, attribute: Attribute) -> RowElements:
        emails = tables.useremails.alias("scim_em")
        users = self.frame.item
        stored = JsonArray(self.frame, attribute, ("emails",))

        def same_address(element: JsonElement) -> Predicate:
            sent = element.target("value")
            assert isinstance(sent, TextTarget)
            if self.sqlite:
                return func.glpi_key(sent.expr) == func.glpi_key(decoded(emails.c.email))
            return sent.expr.collate(CI) == decoded(emails.c.email)

        def by_address(sub: str) -> Callable[[], Target]:
            return lambda: LookupTarget(stored, same_address, sub)

        def by_key(value: str) -> Predicate:
            # SQLite: the user ids that the index on glpi_key(email) gives for the address, as
            # the `value` target below compares it (encoded), so that the query starts there.
            probe = tables.useremails.alias("scim_em_key")
            key = sqlite_equal(probe.c.email, glpi_text.encode(value))
            return users.c.id.in_(select(probe.c.users_id).where(key))

        def sort(sub: str) -> ColumnElement[Any]:
            if sub != "value":
                raise InvalidValue(f"cannot sort by 'emails.{sub}'")
            inner = tables.useremails.alias("scim_em_sort")
            first = (
                select(inner.c.email)
                .where(inner.c.users_id == users.c.id)
                .order_by(inner.c.is_default.desc(), inner.c.id)
                .limit(1)
                .scalar_subquery()
            )
            return TextTarget(self.sqlite, first, case_exact=False).sort_key()

        return RowElements(
            attribute,
            emails,
            emails.c.users_id == users.c.id,
            {
                "value": lambda: TextTarget(
                    self.sqlite, emails.c.email, case_exact=False, encoded=True
                ),
                "primary": lambda: SentPrimaryTarget(
                    LookupTarget(stored, same_address, "primary"),
                    not_(stored.exists(same_address)),
                    emails.c.is_default,
                ),
                "type": by_address("type"),
                "display": by_address("display"),
            },
            sort,
            by_key if self.sqlite else None,
        )

    def _phones(self, attribute: Attribute) -> UnionElements:
        users = self.frame.item
        mapped = tuple(PHONES)

        def unmapped(element: JsonElement) -> Predicate:
            kind = element.target("type")
            assert isinstance(kind, TextTarget)
            lowered = func.lower(func.coalesce(kind.expr, ""))
            return lowered.not_in(mapped)

        stored = JsonArray(self.frame, attribute, ("phoneNumbers",), unmapped)
        virtual: list[tuple[Predicate, VirtualElement]] = []
        for kind, column in PHONES.items():
            value = TextTarget(self.sqlite, users.c[column.column], case_exact=False, encoded=True)
            decoration = self._phone_decoration(attribute, kind, users.c[column.column])
            element = VirtualElement(
                value, {"type": ConstTarget(kind, case_exact=False)}, decoration
            )
            virtual.append((value.present(), element))
        sort = func.coalesce(
            *(func.nullif(users.c[c.column], "") for c in PHONES.values()),
        )
        sort_key = TextTarget(self.sqlite, sort, case_exact=False).sort_key()
        return UnionElements(attribute, virtual, stored, sort_key)

    def _phone_decoration(
        self, attribute: Attribute, kind: str, column: ColumnElement[Any]
    ) -> Callable[[str], Target]:
        stored = JsonArray(self.frame, attribute, ("phoneNumbers",))

        def same_number(element: JsonElement) -> Predicate:
            sent_kind, sent_value = element.target("type"), element.target("value")
            assert isinstance(sent_kind, TextTarget) and isinstance(sent_value, TextTarget)
            number = decoded(column)
            if not self.sqlite:
                return and_(
                    func.lower(sent_kind.expr.collate(CI)) == kind,
                    sent_value.expr.collate(BIN) == number.collate(BIN),
                )
            return and_(func.lower(sent_kind.expr) == kind, sent_value.expr == number)

        return lambda sub: LookupTarget(stored, same_number, sub)

    def _user_groups(self, attribute: Attribute) -> RowElements:
        links = tables.groups_users.alias("scim_ug")
        groups = tables.groups.alias("scim_ug_g")
        return RowElements(
            attribute,
            links.join(groups, groups.c.id == links.c.groups_id),
            links.c.users_id == self.frame.item.c.id,
            {
                "value": lambda: IdTarget(self.sqlite, links.c.groups_id, resource_type=GROUP),
                "display": lambda: TextTarget(
                    self.sqlite, groups.c.name, case_exact=False, encoded=True
                ),
                "type": lambda: ConstTarget("direct", case_exact=False),
            },
        )

    def _group(self, resolved: Resolved) -> Any:
        groups = self.frame.item
        found = self._common(resolved, groups)
        if found is not None:
            return found
        name = resolved.attribute.name
        if name == "displayName":
            return TextTarget(self.sqlite, groups.c.name, case_exact=False, encoded=True)
        if name == "members":
            return self._members(resolved.attribute)
        if resolved.attribute.is_complex and resolved.attribute.multi_valued:
            return JsonArray(self.frame, resolved.attribute, (name,))
        if resolved.attribute.is_complex:
            return None
        keys = (name, resolved.sub.name) if resolved.sub else (name,)
        return self._stored_text(resolved.target, *keys)

    def _members(self, attribute: Attribute) -> RowElements:
        links = tables.groups_users.alias("scim_gm")
        users = tables.users.alias("scim_gm_u")
        hidden = tables.scim_resources.alias("scim_gm_r")
        source = links.join(users, users.c.id == links.c.users_id).outerjoin(
            hidden,
            and_(
                hidden.c.servers_id == self.frame.server_id,
                hidden.c.itemtype == USER,
                hidden.c.items_id == users.c.id,
            ),
        )
        visible = and_(
            links.c.groups_id == self.frame.item.c.id,
            users.c.is_deleted == 0,
            func.coalesce(hidden.c.is_deleted, 0) == 0,
        )
        return RowElements(
            attribute,
            source,
            visible,
            {
                "value": lambda: IdTarget(self.sqlite, links.c.users_id),
                "display": lambda: TextTarget(
                    self.sqlite, formatted_user_name(users), case_exact=False, encoded=True
                ),
                "type": lambda: ConstTarget(USER, case_exact=False),
            },
        )


def _required_value(node: Filter, attribute: Attribute) -> str | None:
    """The text `v` when the filter `node` inside `attribute[...]` can only hold for an element
    whose `value eq v` (that comparison, or one side of an `and`), else None."""
    if isinstance(node, And):
        left = _required_value(node.left, attribute)
        return left if left is not None else _required_value(node.right, attribute)
    if not isinstance(node, Compare) or node.op != "eq" or not isinstance(node.value, str):
        return None
    if node.path.schema is not None or node.path.sub_attr is not None:
        return None
    definition = attribute.sub(node.path.attr)
    return node.value if definition is not None and definition.name == "value" else None


def _narrowed(elements: Any, value: str | None, test: Predicate) -> Predicate:
    """`test`, preceded by the elements' index condition for `value` when they have one."""
    if value is None or not isinstance(elements, RowElements) or elements.narrow is None:
        return test
    return and_(elements.narrow(value), test)


def _canonical_sub(attribute: Attribute, name: str) -> str:
    definition = attribute.sub(name)
    if definition is None:
        raise InvalidFilter(f"unknown attribute '{attribute.name}.{name}'")
    if definition.name == "$ref":
        raise InvalidFilter(f"'{attribute.name}.$ref' cannot be used in a filter")
    return definition.name


def apply(query: Select[Any], condition: Predicate | None) -> Select[Any]:
    return query if condition is None else query.where(condition)
