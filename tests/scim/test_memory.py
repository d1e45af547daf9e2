"""The in-memory reference store: ids, versions, uniqueness, lists, membership, threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from glpi_scim.scim.ast import AttrPath
from glpi_scim.scim.errors import InvalidValue, NotFound, PreconditionFailed, Uniqueness
from glpi_scim.scim.filter import parse_filter
from glpi_scim.scim.memory import InMemoryStore
from glpi_scim.scim.store import GROUP, USER, ListQuery, MemberChange, MemberReply, ResourceStore


def test_is_a_resource_store(store: InMemoryStore) -> None:
    typed: ResourceStore = store
    assert typed is store


def test_create_assigns_id_and_meta(store: InMemoryStore) -> None:
    created = store.create(USER, {"schemas": ["x"], "userName": "a", "id": "99", "groups": []})
    assert created["id"] == "1"
    assert created["meta"] == {
        "resourceType": "User",
        "created": "2024-05-01T12:00:00.000Z",
        "lastModified": "2024-05-01T12:00:00.000Z",
        "version": 'W/"1"',
    }
    assert "groups" not in created
    assert store.get(USER, "1") == created


def test_get_missing(store: InMemoryStore) -> None:
    with pytest.raises(NotFound):
        store.get(USER, "1")
    with pytest.raises(NotFound):
        store.get("Device", "1")


def test_user_name_unique_case_insensitively(store: InMemoryStore) -> None:
    store.create(USER, {"userName": "BJensen"})
    with pytest.raises(Uniqueness) as caught:
        store.create(USER, {"userName": "bjensen"})
    assert caught.value.status == 409 and caught.value.scim_type == "uniqueness"


def test_group_display_name_unique_trimmed_case_insensitively(store: InMemoryStore) -> None:
    store.create(GROUP, {"displayName": "Ops"})
    with pytest.raises(Uniqueness):
        store.create(GROUP, {"displayName": " OPS "})
    store.create(USER, {"userName": "Ops"})  # other type: no clash


def test_update_bumps_version_only_on_change(store: InMemoryStore) -> None:
    created = store.create(USER, {"userName": "a"})
    same = store.update(USER, "1", lambda r: r)
    assert same["meta"]["version"] == created["meta"]["version"]
    changed = store.update(USER, "1", lambda r: {**r, "title": "T"})
    assert changed["meta"]["version"] != created["meta"]["version"]
    assert changed["meta"]["created"] == created["meta"]["created"]


def test_if_match(store: InMemoryStore) -> None:
    created = store.create(USER, {"userName": "a"})
    version = created["meta"]["version"]
    store.update(USER, "1", lambda r: {**r, "title": "T"}, if_match=version)
    with pytest.raises(PreconditionFailed) as caught:
        store.update(USER, "1", lambda r: {**r, "title": "U"}, if_match=version)
    assert caught.value.status == 412
    store.update(USER, "1", lambda r: {**r, "title": "U"}, if_match="*")
    with pytest.raises(PreconditionFailed):
        store.delete(USER, "1", if_match=version)


def test_update_checks_uniqueness(store: InMemoryStore) -> None:
    store.create(USER, {"userName": "a"})
    store.create(USER, {"userName": "b"})
    with pytest.raises(Uniqueness):
        store.update(USER, "2", lambda r: {**r, "userName": "A"})


def test_members_and_groups(store: InMemoryStore) -> None:
    store.create(USER, {"userName": "alice", "displayName": "Alice"})
    store.create(GROUP, {"displayName": "Inner"})
    outer = store.create(
        GROUP, {"displayName": "Outer", "members": [{"value": "1"}, {"value": "2"}]}
    )
    assert outer["members"] == [
        {"value": "1", "type": "User", "display": "Alice"},
        {"value": "2", "type": "Group", "display": "Inner"},
    ]
    assert store.get(USER, "1")["groups"] == [{"value": "3", "display": "Outer", "type": "direct"}]
    with pytest.raises(InvalidValue):
        store.create(GROUP, {"displayName": "X", "members": [{"value": "404"}]})
    with pytest.raises(InvalidValue):
        store.update(GROUP, "3", lambda g: {**g, "members": [{"value": "3"}]})


def test_change_members(store: InMemoryStore) -> None:
    for name in ("a", "b", "c"):
        store.create(USER, {"userName": name})
    group = store.create(GROUP, {"displayName": "G", "members": [{"value": "1"}]})
    store.change_members("4", MemberChange(add=[{"value": "2"}, {"value": "1"}], remove=["3"]))
    assert [m["value"] for m in store.get(GROUP, "4")["members"]] == ["1", "2"]
    store.change_members("4", MemberChange(remove_all=True, add=[{"value": "3"}]))
    assert [m["value"] for m in store.get(GROUP, "4")["members"]] == ["3"]
    store.change_members("4", MemberChange(replace=[]))
    assert "members" not in store.get(GROUP, "4")
    version = store.get(GROUP, "4")["meta"]["version"]
    store.change_members("4", MemberChange(remove=["1"]))
    assert store.get(GROUP, "4")["meta"]["version"] == version  # nothing changed
    with pytest.raises(PreconditionFailed):
        store.change_members(
            "4", MemberChange(add=[{"value": "1"}]), if_match=group["meta"]["version"]
        )
    with pytest.raises(InvalidValue):
        store.change_members("4", MemberChange(add=[{"value": "404"}]))


def test_change_members_answers_with_the_group_up_to_the_reply_limit(
    store: InMemoryStore,
) -> None:
    for name in ("a", "b"):
        store.create(USER, {"userName": name})
    store.create(GROUP, {"displayName": "G", "members": [{"value": "1"}]})
    add = MemberChange(add=[{"value": "2"}])
    assert store.change_members("3", add) is None  # no reply asked
    group = store.change_members("3", add, reply=MemberReply(limit=2))
    assert group is not None and len(group["members"]) == 2
    assert store.change_members("3", add, reply=MemberReply(limit=1)) is None
    assert store.change_members("3", add, reply=MemberReply(limit=0)) is None
    bare = store.change_members("3", add, reply=MemberReply(frozenset({"members"})))
    assert bare is not None and "members" not in bare
    with pytest.raises(NotFound):
        store.change_members("404", add, reply=MemberReply())


def test_delete_removes_memberships(store: InMemoryStore) -> None:
    store.create(USER, {"userName": "a"})
    store.create(GROUP, {"displayName": "G", "members": [{"value": "1"}]})
    store.delete(USER, "1")
    assert "members" not in store.get(GROUP, "2")
    with pytest.raises(NotFound):
        store.delete(USER, "1")


def _names(store: InMemoryStore, **kw: Any) -> list[str]:
    return [r["userName"] for r in store.list(USER, ListQuery(**kw)).resources]


def test_list_filter_sort_page(store: InMemoryStore) -> None:
    for name, title in [("carol", "b"), ("Alice", None), ("bob", "A"), ("dave", "c")]:
        store.create(USER, {"userName": name, **({"title": title} if title else {})})
    assert _names(store) == ["carol", "Alice", "bob", "dave"]
    assert _names(store, sort_by=AttrPath("userName")) == ["Alice", "bob", "carol", "dave"]
    assert _names(store, sort_by=AttrPath("userName"), descending=True) == [
        "dave",
        "carol",
        "bob",
        "Alice",
    ]
    # Missing values last in both orders.
    assert _names(store, sort_by=AttrPath("title")) == ["bob", "carol", "dave", "Alice"]
    assert _names(store, sort_by=AttrPath("title"), descending=True) == [
        "dave",
        "carol",
        "bob",
        "Alice",
    ]
    page = store.list(USER, ListQuery(sort_by=AttrPath("userName"), start_index=2, count=2))
    assert page.total == 4 and [r["userName"] for r in page.resources] == ["bob", "carol"]
    filtered = store.list(USER, ListQuery(filter=parse_filter("title pr", USER), count=0))
    assert filtered.total == 3 and filtered.resources == []


def test_sort_by_multi_valued_uses_primary(store: InMemoryStore) -> None:
    store.create(
        USER, {"userName": "a", "emails": [{"value": "z@x"}, {"value": "b@x", "primary": True}]}
    )
    store.create(USER, {"userName": "b", "emails": [{"value": "c@x"}]})
    assert _names(store, sort_by=AttrPath("emails", "value")) == ["a", "b"]


def test_list_skip_still_filters(store: InMemoryStore) -> None:
    store.create(USER, {"userName": "a"})
    store.create(GROUP, {"displayName": "G", "members": [{"value": "1"}]})
    page = store.list(
        GROUP,
        ListQuery(filter=parse_filter('members[value eq "1"]', GROUP), skip=frozenset({"members"})),
    )
    assert page.total == 1 and "members" not in page.resources[0]
    assert "members" not in store.get(GROUP, "2", skip=frozenset({"members"}))


def test_concurrent_creates_keep_user_names_unique() -> None:
    store = InMemoryStore()
    errors: list[Exception] = []

    def create(index: int) -> None:
        try:
            store.create(USER, {"userName": f"user{index % 10}"})
        except Uniqueness as exc:
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.list(USER, ListQuery()).total == 10
    assert len(errors) == 40


def test_concurrent_conditional_updates_one_wins() -> None:
    store = InMemoryStore()
    version = store.create(USER, {"userName": "a"})["meta"]["version"]
    outcomes: list[str] = []

    def update(index: int) -> None:
        try:
            store.update(USER, "1", lambda r: {**r, "title": str(index)}, if_match=version)
            outcomes.append("ok")
        except PreconditionFailed:
            outcomes.append("412")

    threads = [threading.Thread(target=update, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
