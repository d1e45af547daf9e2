"""In-memory filter evaluation: the reference semantics a store's query translation follows.

- Attribute names match case-insensitively; strings compare case-insensitively (after NFC)
  unless the attribute is caseExact; dateTime values compare as instants.
- A comparison on a multi-valued attribute holds when some value satisfies it; `ne` holds when
  no value equals the operand. A comparison on a multi-valued complex attribute without a
  sub-attribute (`emails co "x"`) compares its `value` sub-attribute.
- An unassigned attribute equals null and is `ne` any other value; every other operator is
  false on it. Values of another type than the operand never match (`ne` holds).
- `pr` holds for a non-null, non-empty value; a complex value needs one present sub-attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glpi_scim.scim.ast import And, AttrPath, Compare, Filter, Literal_, Not, Or, Present, ValuePath
from glpi_scim.scim.attributes import Attribute
from glpi_scim.scim.schemas import ResourceType, resource_type
from glpi_scim.scim.values import fold, get_ci, is_present, parse_datetime


def comparison_attribute(attribute: Attribute) -> Attribute:
    """The attribute a comparison really tests: `emails eq "x"` compares `emails.value`."""
    if attribute.is_complex and attribute.multi_valued:
        value = attribute.sub("value")
        if value is not None:
            return value
    return attribute


def matches(
    filter_: Filter,
    resource: Mapping[str, Any],
    resource_type_: str | ResourceType | None = None,
) -> bool:
    """Whether `resource` satisfies `filter_`, with the schema's caseExact and types when given."""
    rt = resource_type(resource_type_) if resource_type_ is not None else None
    return _Evaluator(rt).test(filter_, resource, None, False)


class _Evaluator:
    def __init__(self, rt: ResourceType | None) -> None:
        self.rt = rt

    def test(self, node: Filter, item: Any, scope: Attribute | None, scoped: bool) -> bool:
        if isinstance(node, And):
            return self.test(node.left, item, scope, scoped) and self.test(
                node.right, item, scope, scoped
            )
        if isinstance(node, Or):
            return self.test(node.left, item, scope, scoped) or self.test(
                node.right, item, scope, scoped
            )
        if isinstance(node, Not):
            return not self.test(node.operand, item, scope, scoped)
        if isinstance(node, ValuePath):
            return self.test_value_path(node, item)
        if scoped:
            value, attribute = self.read_in_element(node.path, item, scope)
            many = False
        else:
            found = self.read(node.path, item, isinstance(node, Compare))
            if found is None:
                return False
            value, attribute, many = found
        if isinstance(node, Present):
            return any(is_present(v) for v in value) if many else is_present(value)
        if many:
            values = value or [None]
            if node.op == "ne":
                return all(_compare(v, node.value, "ne", attribute) for v in values)
            return any(_compare(v, node.value, node.op, attribute) for v in values)
        return _compare(value, node.value, node.op, attribute)

    def test_value_path(self, node: ValuePath, resource: Any) -> bool:
        found = self.read(node.path, resource, False)
        if found is None:
            return False
        elements, attribute, _ = found
        if isinstance(elements, Mapping):
            elements = [elements]
        if not isinstance(elements, list):
            return False
        return any(self.test(node.filter, element, attribute, True) for element in elements)

    def read_in_element(
        self, path: AttrPath, element: Any, scope: Attribute | None
    ) -> tuple[Any, Attribute | None]:
        sub = scope.sub(path.attr) if scope is not None else None
        if not isinstance(element, Mapping):
            # A list of plain values: `value` is the element itself.
            return (element if path.attr.lower() == "value" else None), sub
        return get_ci(element, path.attr), sub

    def read(
        self, path: AttrPath, resource: Any, comparing: bool
    ) -> tuple[Any, Attribute | None, bool] | None:
        """(value or values, definition of what is compared, whether it is a list of values).

        None when the resource type has no such attribute.
        """
        attribute: Attribute | None = None
        sub: Attribute | None = None
        if self.rt is not None:
            resolved = self.rt.resolve(path)
            if resolved is None:
                return None
            container = get_ci(resource, resolved.schema.id) if resolved.extension else resource
            attribute, sub = resolved.attribute, resolved.sub
            head = get_ci(container, attribute.name)
        else:
            container = resource
            if path.schema is not None:
                extension = get_ci(resource, path.schema)
                container = extension if isinstance(extension, Mapping) else resource
            head = get_ci(container, path.attr)
        sub_name = path.sub_attr
        if sub_name is None and comparing and _holds_complex_values(head, attribute):
            sub_name = "value"
            sub = attribute.sub("value") if attribute is not None else None
        target = sub if sub_name is not None else attribute
        if sub_name is None:
            return head, target, isinstance(head, list)
        if isinstance(head, list):
            return [get_ci(e, sub_name) for e in head], target, True
        return get_ci(head, sub_name), target, False


def _holds_complex_values(head: Any, attribute: Attribute | None) -> bool:
    if attribute is not None:
        return comparison_attribute(attribute) is not attribute
    return isinstance(head, list) and any(isinstance(e, Mapping) for e in head)


def _compare(actual: Any, expected: Literal_, op: str, attribute: Attribute | None) -> bool:
    if actual is None or expected is None:
        if op == "eq":
            return actual is None and expected is None
        if op == "ne":
            return (actual is None) != (expected is None)
        return False
    kind = attribute.type if attribute is not None else None
    if kind == "dateTime" or (kind is None and _looks_like_datetime(actual, expected)):
        left = parse_datetime(actual) if isinstance(actual, str) else None
        right = parse_datetime(expected) if isinstance(expected, str) else None
        if left is None or right is None:
            return op == "ne"
        return _order(left, right, op)
    if isinstance(actual, bool) or isinstance(expected, bool):
        if not (isinstance(actual, bool) and isinstance(expected, bool)):
            return op == "ne"
        if op == "eq":
            return actual == expected
        return actual != expected if op == "ne" else False
    if isinstance(actual, str) and isinstance(expected, str):
        case_exact = attribute.case_exact if attribute is not None else False
        left_s, right_s = fold(actual, case_exact), fold(expected, case_exact)
        if op == "co":
            return right_s in left_s
        if op == "sw":
            return left_s.startswith(right_s)
        if op == "ew":
            return left_s.endswith(right_s)
        return _order(left_s, right_s, op)
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        if op in ("co", "sw", "ew"):
            return False
        return _order(actual, expected, op)
    return op == "ne"


def _looks_like_datetime(actual: Any, expected: Any) -> bool:
    return (
        isinstance(actual, str)
        and isinstance(expected, str)
        and parse_datetime(actual) is not None
        and parse_datetime(expected) is not None
    )


def _order(left: Any, right: Any, op: str) -> bool:
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if op == "gt":
        return bool(left > right)
    if op == "ge":
        return bool(left >= right)
    if op == "lt":
        return bool(left < right)
    if op == "le":
        return bool(left <= right)
    return False  # co/sw/ew on values that are not strings


def element_matches(
    filter_: Filter, element: Any, attribute: Attribute, rt: ResourceType | None = None
) -> bool:
    """Whether one value of multi-valued `attribute` satisfies a value filter (`[...]`)."""
    return _Evaluator(rt).test(filter_, element, attribute, True)
