"""Group membership PATCHes recognised as store.MemberChange (no full load of the group)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glpi_scim.scim.memory import InMemoryStore
from glpi_scim.scim.patch import apply_patch, member_change, parse_patch
from glpi_scim.scim.store import GROUP, USER, MemberChange

from .helpers import patch_op


def change(*operations: dict[str, Any]) -> MemberChange | None:
    return member_change(parse_patch(patch_op(*operations), "Group"))


def test_add_list() -> None:
    assert change(
        {"op": "Add", "path": "members", "value": [{"value": "1"}, {"value": "2", "display": "x"}]}
    ) == MemberChange(add=({"value": "1"}, {"value": "2"}))


def test_pathless_add() -> None:
    assert change({"op": "add", "value": {"Members": [{"value": "1"}]}}) == MemberChange(
        add=({"value": "1"},)
    )


def test_remove_list() -> None:
    assert change({"op": "Remove", "path": "members", "value": [{"value": "1"}]}) == MemberChange(
        remove=("1",)
    )


def test_remove_by_filter() -> None:
    assert change({"op": "remove", "path": 'members[value eq "7"]'}) == MemberChange(remove=("7",))
    assert change(
        {"op": "remove", "path": 'members[value eq "7" or value eq "8"]'}
    ) == MemberChange(remove=("7", "8"))


def test_remove_all_then_add() -> None:
    assert change(
        {"op": "remove", "path": "members"},
        {"op": "add", "path": "members", "value": [{"value": "1"}]},
    ) == MemberChange(add=({"value": "1"},), remove_all=True)


def test_replace_whole_list() -> None:
    assert change({"op": "replace", "path": "members", "value": [{"value": "1"}]}) == MemberChange(
        replace=({"value": "1"},)
    )
    assert change({"op": "replace", "value": {"members": []}}) == MemberChange(replace=())


def test_sequences_combine() -> None:
    result = change(
        {"op": "add", "path": "members", "value": [{"value": "1"}, {"value": "2"}]},
        {"op": "remove", "path": "members", "value": [{"value": "1"}, {"value": "3"}]},
        {"op": "add", "path": "members", "value": [{"value": "3"}]},
    )
    assert result == MemberChange(add=({"value": "2"}, {"value": "3"}), remove=("1",))


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "displayName", "value": "X"},
        {"op": "add", "value": {"members": [{"value": "1"}], "displayName": "X"}},
        {"op": "remove", "path": 'members[type eq "User"]'},
        {"op": "remove", "path": 'members[value co "1"]'},
        {"op": "replace", "path": 'members[value eq "1"].type', "value": "User"},
        {"op": "add", "path": 'members[value eq "1"]', "value": {"type": "User"}},
    ],
)
def test_other_forms_need_the_full_patch(operation: dict[str, Any]) -> None:
    assert change(operation) is None
    assert change({"op": "add", "path": "members", "value": [{"value": "1"}]}, operation) is None


# -- change_members and the full PATCH agree ------------------------------------------------

IDS = ["u1", "u2", "u3", "g1"]
member_values = st.lists(st.sampled_from(IDS), max_size=3).map(
    lambda ids: [{"value": i} for i in ids]
)
member_ops = st.one_of(
    st.builds(lambda v: {"op": "add", "path": "members", "value": v}, member_values),
    st.builds(lambda v: {"op": "Remove", "path": "members", "value": v}, member_values),
    st.builds(lambda i: {"op": "remove", "path": f'members[value eq "{i}"]'}, st.sampled_from(IDS)),
    st.just({"op": "remove", "path": "members"}),
    st.builds(lambda v: {"op": "replace", "path": "members", "value": v}, member_values),
    st.builds(lambda v: {"op": "add", "value": {"members": v}}, member_values),
)


def _store_with_group(initial: list[str]) -> tuple[InMemoryStore, dict[str, str], str]:
    store = InMemoryStore()
    ids: dict[str, str] = {}
    for name in ("u1", "u2", "u3"):
        ids[name] = store.create(USER, {"userName": name})["id"]
    ids["g1"] = store.create(GROUP, {"displayName": "g1"})["id"]
    members = [{"value": ids[name]} for name in initial]
    group_id = store.create(GROUP, {"displayName": "target", "members": members})["id"]
    return store, ids, group_id


def _with_ids(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, real in ids.items():
            value = value.replace(f'"{name}"', f'"{real}"')
        return ids.get(value, value)
    if isinstance(value, dict):
        return {k: _with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_ids(v, ids) for v in value]
    return value


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(IDS), unique=True), st.lists(member_ops, min_size=1, max_size=4))
def test_member_change_equals_full_patch(initial: list[str], operations: list[Any]) -> None:
    fast_store, ids, group_id = _store_with_group(initial)
    full_store, _, _ = _store_with_group(initial)
    document = patch_op(*_with_ids(operations, ids))
    recognised = member_change(parse_patch(document, "Group"))
    assert recognised is not None
    fast_store.change_members(group_id, recognised)
    full_store.update(GROUP, group_id, lambda current: apply_patch(current, document, "Group"))
    fast = fast_store.get(GROUP, group_id).get("members", [])
    full = full_store.get(GROUP, group_id).get("members", [])
    assert sorted(m["value"] for m in fast) == sorted(m["value"] for m in full)
