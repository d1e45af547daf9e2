"""SQLite: logins and e-mail addresses are looked up through the indexes on glpi_key(column).

Each test runs on a real embedded SQLite file through the store. Results must be those of GLPI's
collation (case, accents and trailing spaces ignored), and SQLite's own plan must read the index
instead of every row of glpi_users.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, event, select, text
from sqlalchemy.dialects import mysql

from glpi_scim.db import tables
from glpi_scim.db.collation import KEY_INDEXES, collation_key, sqlite_equal, sqlite_equal_key
from glpi_scim.db.database import Database, engine_for_url, sqlite_url
from glpi_scim.db.schema import ensure_tool_schema, initialise_embedded
from glpi_scim.glpi.sqlfilter import SqlFilter
from glpi_scim.glpi.store import GlpiStore
from glpi_scim.glpi.users import frame
from glpi_scim.identity.models import IdentityServer
from glpi_scim.scim.errors import Uniqueness
from glpi_scim.scim.filter import parse_filter
from glpi_scim.scim.store import ListQuery

from .support import APPLIED, Clock, user

USERS_INDEX = "glpi_users_name_key"
EMAILS_INDEX = "glpi_useremails_email_key"


@pytest.fixture
def store(sqlite_database: Database) -> GlpiStore:
    server = IdentityServer(id=1, name="idp", users_id_applied=APPLIED)
    return GlpiStore(sqlite_database, server, now=Clock())


def selected(store: GlpiStore, filter_text: str) -> list[str]:
    page = store.list("User", ListQuery(filter=parse_filter(filter_text, "User"), count=1000))
    return sorted(r["id"] for r in page.resources)


def index_names(database: Database) -> set[str]:
    with database.connect() as connection:
        found = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
        return set(found.scalars())


def plans(database: Database, action: Callable[[], Any]) -> dict[str, str]:
    """SQLite's plan of each SELECT on glpi_users that `action` sends, by statement."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if re.match(r"\s*SELECT\b", statement) and re.search(r"FROM glpi_users\b", statement):
            sent.append((statement, params))

    event.listen(database.engine, "before_cursor_execute", capture)
    try:
        action()
    finally:
        event.remove(database.engine, "before_cursor_execute", capture)
    assert sent, "no SELECT on glpi_users was sent"
    with database.connect() as connection:
        return {
            statement: "\n".join(
                str(row[3])
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            )
            for statement, params in sent
        }


def assert_lookups_use(index: str, found: dict[str, str]) -> None:
    """No statement reads every user; those comparing collation keys read `index`."""
    keyed = [plan for statement, plan in found.items() if "glpi_key(" in statement]
    assert keyed, found
    for plan in found.values():
        assert not re.search(r"\bSCAN (glpi_users|scim_u)\b", plan), plan
    for plan in keyed:
        assert f"USING INDEX {index}" in plan, plan


# -- the indexes


def test_embedded_file_has_the_key_indexes(sqlite_database: Database) -> None:
    assert {USERS_INDEX, EMAILS_INDEX} <= index_names(sqlite_database)
    assert {index.name for index in KEY_INDEXES} == {USERS_INDEX, EMAILS_INDEX}


def test_a_file_without_them_gets_them_when_opened(tmp_path: Path) -> None:
    # A file made by a version without the indexes: `serve` and `db init` add them.
    url = sqlite_url(tmp_path / "old.sqlite")
    database = Database(engine_for_url(url), url, url)
    try:
        initialise_embedded(database)
        with database.begin() as connection:
            for index in KEY_INDEXES:
                connection.execute(text(f"DROP INDEX {index.name}"))
        assert not {USERS_INDEX, EMAILS_INDEX} & index_names(database)
        ensure_tool_schema(database)
        assert {USERS_INDEX, EMAILS_INDEX} <= index_names(database)
        ensure_tool_schema(database)  # twice changes nothing
        assert initialise_embedded(database) is False
    finally:
        database.dispose()


def test_tool_tables_alone_get_no_index(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "tool-only.sqlite")
    database = Database(engine_for_url(url), url, url)
    try:
        ensure_tool_schema(database)
        assert not {USERS_INDEX, EMAILS_INDEX} & index_names(database)
    finally:
        database.dispose()


def test_any_connection_can_write_the_indexed_tables(sqlite_database: Database) -> None:
    # Not only the store's: the index needs glpi_key() on every connection that writes.
    with sqlite_database.begin() as connection:
        connection.execute(tables.users.insert().values(name="Éva", authtype=1))
        connection.execute(tables.useremails.insert().values(users_id=7, email="Éva@x.test"))
        connection.execute(tables.users.update().where(tables.users.c.name == "Éva").values(
            name="Évà"))  # fmt: skip
        connection.execute(tables.useremails.delete().where(tables.useremails.c.users_id == 7))
    with sqlite_database.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"


# -- userName


@pytest.fixture
def jose(store: GlpiStore) -> str:
    created: str = store.create("User", user(userName="José"))["id"]
    store.create("User", user(userName="Josefine"))
    store.create("User", user(userName="Straße"))
    store.create("User", user(userName="jose.b"))
    return created


@pytest.mark.parametrize("wanted", ["José", "JOSE", "jose", "josé   ", "JOSÉ "])
def test_username_eq_follows_glpi_collation(store: GlpiStore, jose: str, wanted: str) -> None:
    assert selected(store, f'userName eq "{wanted}"') == [jose]


def test_username_eq_keeps_leading_spaces_and_other_letters(store: GlpiStore, jose: str) -> None:
    assert selected(store, 'userName eq " jose"') == []
    assert selected(store, 'userName eq "jos"') == []
    assert selected(store, 'userName eq "josee"') == []
    assert len(selected(store, 'userName eq "STRASSE"')) == 1
    assert jose not in selected(store, 'userName ne "jose"')
    assert jose not in selected(store, 'not (userName eq "JOSE")')


def test_username_eq_reads_the_index(
    store: GlpiStore, jose: str, sqlite_database: Database
) -> None:
    query = ListQuery(filter=parse_filter('userName eq "JOSE"', "User"))
    found = plans(sqlite_database, lambda: store.list("User", query))
    assert_lookups_use(USERS_INDEX, found)
    # The total and the page's ids each compare on the key (one statement holds both).
    assert sum(statement.count("glpi_key(scim_u.name)") for statement in found) == 2


@pytest.mark.parametrize("taken, new", [("josé", "JOSE"), ("JOSE", "josé"), ("Zoë", "zoe  ")])
def test_login_uniqueness_follows_glpi_collation(store: GlpiStore, taken: str, new: str) -> None:
    store.create("User", user(userName=taken))
    with pytest.raises(Uniqueness):
        store.create("User", user(userName=new))


def test_login_uniqueness_check_reads_the_index(
    store: GlpiStore, sqlite_database: Database
) -> None:
    store.create("User", user(userName="josé"))

    def create() -> None:
        with pytest.raises(Uniqueness):
            store.create("User", user(userName="JOSE"))

    assert_lookups_use(USERS_INDEX, plans(sqlite_database, create))
    new_user = plans(sqlite_database, lambda: store.create("User", user(userName="someone.new")))
    assert_lookups_use(USERS_INDEX, new_user)


# -- e-mails


@pytest.fixture
def zoe(store: GlpiStore) -> str:
    created: str = store.create(
        "User",
        user(
            userName="zoe",
            emails=[
                {"value": "Zoë.Doe@Example.com", "type": "work", "primary": True},
                {"value": "r&d{lab}@home.test", "type": "home"},
            ],
        ),
    )["id"]
    store.create(
        "User",
        user(userName="zoey", emails=[{"value": "zoe.doe@example.co", "type": "work"}]),
    )
    store.create(
        "User",
        user(userName="other", emails=[{"value": "zoe.doe@example.com.au", "type": "work"}]),
    )
    return created


@pytest.mark.parametrize(
    "filter_text",
    [
        'emails[type eq "work"].value eq "zoe.doe@example.com"',
        'emails[type eq "work" and value eq "ZOË.DOE@EXAMPLE.COM  "]',
        'emails[value eq "zoe.doe@example.com" and type eq "work"]',
        'emails.value eq "Zoe.Doe@example.com"',
        'emails eq "zoë.doe@example.com"',
        'emails[type eq "home"].value eq "R&D{LAB}@home.test"',
        'emails.value eq "r&D{lab}@HOME.TEST   "',
    ],
)
def test_email_filters_follow_glpi_collation(store: GlpiStore, zoe: str, filter_text: str) -> None:
    assert selected(store, filter_text) == [zoe]


@pytest.mark.parametrize(
    "filter_text",
    [
        'emails[type eq "home"].value eq "zoe.doe@example.com"',
        'emails[type eq "work"].value eq "r&d{lab}@home.test"',
        'emails.value eq "zoe.doe@example"',
        'emails.value eq "r&#38;d{lab}@home.test"',
    ],
)
def test_email_filters_match_nothing_else(store: GlpiStore, zoe: str, filter_text: str) -> None:
    assert selected(store, filter_text) == []


def test_negated_email_filters_keep_their_meaning(store: GlpiStore, zoe: str) -> None:
    everyone = selected(store, "userName pr")
    assert zoe in everyone
    others = [i for i in everyone if i != zoe]
    assert selected(store, 'not (emails.value eq "ZOE.DOE@example.com")') == others
    assert selected(store, 'emails.value ne "ZOE.DOE@example.com"') == others
    assert selected(store, 'not (emails[type eq "work" and value eq "zoë.doe@example.com"])') == (
        others
    )
    either = 'emails.value eq "nobody@x.test" or emails[value eq "zoe.doe@example.com"]'
    assert selected(store, either) == [zoe]


@pytest.mark.parametrize(
    "filter_text",
    [
        'emails[type eq "work"].value eq "ZOË.DOE@example.com"',
        'emails.value eq "zoe.doe@example.com"',
    ],
)
def test_email_filters_read_the_index(
    store: GlpiStore, zoe: str, sqlite_database: Database, filter_text: str
) -> None:
    query = ListQuery(filter=parse_filter(filter_text, "User"))
    assert_lookups_use(EMAILS_INDEX, plans(sqlite_database, lambda: store.list("User", query)))


# -- the SQL itself


@pytest.mark.parametrize(
    "names, probe",
    [
        (["José", "JOSE ", "jose", "josé\t", " jose", "JOSÉE"], "jose"),
        (["Straße", "STRASSE", "strasse  ", "strase"], "straße"),
        (["ﬁle", "FILE", "fíle", "file!"], "file "),
        (["a&#38;b", "A&#38;B  ", "a&b"], "A&#38;B"),
    ],
)
def test_key_lookup_selects_what_the_collation_equates(
    sqlite_database: Database, names: list[str], probe: str
) -> None:
    users = tables.users
    with sqlite_database.begin() as connection:
        ids = {
            name: connection.execute(users.insert().values(name=name, authtype=9)).lastrowid
            for name in names
        }
        query = select(users.c.id).where(users.c.authtype == 9, sqlite_equal(users.c.name, probe))
        found = set(connection.execute(query).scalars())
        # The statement built once for every value, with the value's key bound (creation.py).
        bound = sqlite_equal_key(users.c.name, bindparam("key"))
        query = select(users.c.id).where(users.c.authtype == 9, bound)
        found_bound = set(connection.execute(query, {"key": collation_key(probe)}).scalars())
    wanted = {ids[n] for n in names if collation_key(n) == collation_key(probe)}
    assert found == found_bound == wanted


@pytest.mark.parametrize(
    "names, probe",
    [
        (["Ingénieur", "INGENIEUR ", "ingenieur", "Ingénieure"], "ingenieur"),
        (["Straße", "STRASSE", "strase"], "STRASSE "),
        (["Chef", "CHEF", "chef!"], "Chéf"),
    ],
)
def test_a_bound_key_selects_what_the_collation_equates_without_an_index(
    sqlite_database: Database, names: list[str], probe: str
) -> None:
    """A title (glpi_usertitles has no key index): the create's lookup of its title."""
    titles = tables.usertitles
    with sqlite_database.begin() as connection:
        ids = {
            name: connection.execute(titles.insert().values(name=name)).lastrowid for name in names
        }
        bound = sqlite_equal_key(titles.c.name, bindparam("key"))
        query = select(titles.c.id).where(titles.c.id.in_(ids.values()), bound)
        found = set(connection.execute(query, {"key": collation_key(probe)}).scalars())
    assert found == {ids[n] for n in names if collation_key(n) == collation_key(probe)}


def test_mariadb_sql_does_not_change() -> None:
    # The key indexes are SQLite's: MariaDB's own collation and indexes answer there.
    for filter_text in ('userName eq "José"', 'emails[type eq "work"].value eq "a@b.c"'):
        where = SqlFilter(frame(1, sqlite=False)).where(parse_filter(filter_text, "User"))
        sql = str(where.compile(dialect=mysql.dialect()))
        assert "glpi_key" not in sql and "scim_em_key" not in sql, sql


@pytest.fixture
def unindexed(sqlite_database: Database) -> Iterator[Database]:
    with sqlite_database.begin() as connection:
        for index in KEY_INDEXES:
            connection.execute(text(f"DROP INDEX {index.name}"))
    yield sqlite_database


def test_lookups_still_right_without_the_indexes(unindexed: Database) -> None:
    # A file not yet opened by `serve` or `db init` since the upgrade: slower, same answers.
    store = GlpiStore(unindexed, IdentityServer(id=1, name="idp", users_id_applied=APPLIED))
    jose = store.create("User", user(userName="José", emails=[{"value": "Zoë@x.test"}]))["id"]
    assert selected(store, 'userName eq "JOSE "') == [jose]
    assert selected(store, 'emails.value eq "zoe@X.TEST"') == [jose]
    with pytest.raises(Uniqueness):
        store.create("User", user(userName="jose"))
