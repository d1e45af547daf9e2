"""Bounded work per request, over real sockets: a statement past `statement_timeout` is stopped
by the database and answered 503 with Retry-After; a filter past `max_filter_clauses`, a user
past `max_emails_per_user`, a server past `max_requests_in_flight` get their SCIM error."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from glpi_scim.db import tables
from glpi_scim.db.database import Database

from .conftest import Served
from .support import Client, add_server, assert_scim_error, patch, scalar, user

ADDRESS = {"type": "work", "formatted": "1 Long Road\nSpringfield", "locality": "Springfield"}


def copies_of(database: Database, user_id: int, count: int) -> None:
    """`count` copies of a provisioned user (GLPI row, profile row, the tool's row), by SQL."""
    users, profiles, resources = tables.users, tables.profiles_users, tables.scim_resources
    with database.begin() as connection:
        person = dict(connection.execute(select(users).where(users.c.id == user_id)).one()._mapping)
        profile = dict(
            connection.execute(select(profiles).where(profiles.c.users_id == user_id))
            .one()
            ._mapping
        )
        row = dict(
            connection.execute(select(resources).where(resources.c.items_id == user_id))
            .one()
            ._mapping
        )
        first = int(connection.execute(select(users.c.id).order_by(users.c.id.desc())).first()[0])
        new_ids = range(first + 1, first + 1 + count)
        connection.execute(
            users.insert(), [{**person, "id": i, "name": f"copy{i}"} for i in new_ids]
        )
        profile.pop("id")
        connection.execute(profiles.insert(), [{**profile, "users_id": i} for i in new_ids])
        row.pop("id")
        connection.execute(
            resources.insert(),
            [{**row, "items_id": i, "external_id": f"x{i}"} for i in new_ids],
        )


def slow_filter(clauses: int) -> str:
    return " or ".join(f'addresses.formatted co "zz{i}q"' for i in range(clauses))


SLOW = {"filter": slow_filter(100), "count": "1"}
MAX_COPIES = 120_000


def grow_until(database: Database, user_id: int, search: Callable[[], Any], seconds: float) -> Any:
    """Copies of the user until `search()` takes `seconds` or more (or its answer is not 200),
    and that answer: how many rows make a search slow depends on this machine's speed, not on
    a constant."""
    total, more = 0, 3000
    while True:
        copies_of(database, user_id, more)
        total += more
        started = time.monotonic()
        answer = search()
        took = time.monotonic() - started
        if took >= seconds or answer.status_code != 200:
            return answer
        # Rows the search needs, with a margin; the time grows with them.
        more = min(int(total * (max(1.5, min(4.0, 1.3 * seconds / took)) - 1)), MAX_COPIES - total)
        assert more > 0, f"{total} users and the search still takes only {took:.2f} s"


def test_a_statement_past_the_limit_is_stopped_and_answered_503(
    database: Database, serve: Callable[..., Served]
) -> None:
    served = serve(database, statement_timeout=1, max_filter_clauses=1000)
    created = served.client.post("/Users", user("template", addresses=[ADDRESS]))
    assert created.status_code == 201, created.text

    response = grow_until(
        database,
        int(created.json()["id"]),
        lambda: served.client.get("/Users", params=SLOW),
        seconds=3,  # past the limit of 1 s: the database stopped it or did not
    )
    body = assert_scim_error(response, 503, None, "statement_timeout", "narrow the filter")
    assert response.headers["Retry-After"].isdigit(), body
    if database.dialect == "mysql":  # the database itself stopped it: nothing left running
        running = scalar(
            database,
            "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE '%zz0q%'"
            " AND info NOT LIKE '%processlist%'",
        )
        assert running == 0
    # The server goes on serving, and the same search within the limit works.
    small = served.client.get("/Users", params={"filter": 'userName eq "template"'})
    assert small.status_code == 200, small.text
    assert small.json()["totalResults"] == 1


def test_a_filter_of_too_many_comparisons_is_refused_with_the_limit(served: Served) -> None:
    at_limit = " or ".join(f'userName eq "u{i}"' for i in range(50))
    assert served.client.get("/Users", params={"filter": at_limit}).status_code == 200
    over = at_limit + ' or emails[value co "x" and type eq "work"]'
    response = served.client.get("/Users", params={"filter": over})
    assert_scim_error(response, 400, "invalidFilter", "52 comparisons", "at most 50")
    searched = served.client.post(
        "/Users/.search",
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": over},
    )
    assert_scim_error(searched, 400, "invalidFilter", "at most 50")


def emails(count: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"value": f"a{i}@example.com", "type": "work"} for i in range(start, start + count)]


def test_a_user_has_at_most_max_emails_per_user_addresses(
    database: Database, serve: Callable[..., Served]
) -> None:
    served = serve(database, max_emails_per_user=20, max_phones_per_user=3)
    client = served.client
    refused = client.post("/Users", user("many", emails=emails(21)))
    assert_scim_error(refused, 400, "invalidValue", "'emails' has 21 values", "at most 20")
    phones = [{"value": f"555 01{i:02d}", "type": "work"} for i in range(4)]
    refused = client.post("/Users", user("many", phoneNumbers=phones))
    assert_scim_error(refused, 400, "invalidValue", "'phoneNumbers' has 4 values", "at most 3")
    assert scalar(database, "SELECT COUNT(*) FROM glpi_users WHERE name = 'many'") == 0

    created = client.post("/Users", user("many", emails=emails(20)))
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    replaced = client.put(f"/Users/{user_id}", user("many", emails=emails(21)))
    assert_scim_error(replaced, 400, "invalidValue", "at most 20")
    # A PATCH is refused at the operation that grows the list past the limit, before any
    # later operation works on it; nothing is written.
    grow = patch(
        {"op": "add", "path": "emails", "value": emails(1000, start=100)},
        *(
            {"op": "replace", "path": f'emails[value eq "a{i}@example.com"].type', "value": "home"}
            for i in range(500)
        ),
    )
    grown = client.patch(f"/Users/{user_id}", grow)
    assert_scim_error(grown, 400, "invalidValue", "Operations[0]", "1020 values", "at most 20")
    assert len(client.get(f"/Users/{user_id}").json()["emails"]) == 20
    assert (
        scalar(database, f"SELECT COUNT(*) FROM glpi_useremails WHERE users_id = {user_id}") == 20
    )


def test_one_server_cannot_hold_every_thread(
    sqlite_database: Database, serve: Callable[..., Served]
) -> None:
    """Two slow searches of server A are in progress: A's next request gets 429 at once, while
    server B is still served."""
    first = serve(
        sqlite_database, max_requests_in_flight=2, statement_timeout=0, max_filter_clauses=1000
    )
    created = first.client.post("/Users", user("template", addresses=[ADDRESS]))

    # Each search must outlast the 3 s the test takes to send both and then a third request.
    answer = grow_until(
        sqlite_database,
        int(created.json()["id"]),
        lambda: first.client.get("/Users", params=SLOW),
        seconds=4.5,
    )
    assert answer.status_code == 200, answer.text
    _, token = add_server(sqlite_database)
    other = Client(first.live.base_url, first.server.id + 1, token)
    assert other.get("/Users", params={"count": "1"}).status_code == 200
    slow = SLOW
    with ThreadPoolExecutor(2) as pool:
        searches = []
        for _ in (1, 2):
            searches.append(pool.submit(first.new_client().get, "/Users", params=slow))
            time.sleep(1.5)  # each search is inside the server before anything else is sent
        refused = None
        while not all(search.done() for search in searches):
            answer = first.client.get("/Users", params={"count": "1"})
            if answer.status_code == 429:
                refused = answer
                break
            assert answer.status_code == 200, answer.text
            time.sleep(0.05)
        # Server B is served while A's searches are still running.
        served_b = other.get("/Users", params={"count": "1"}).status_code
        statuses = [search.result().status_code for search in searches]
        assert refused is not None, f"no third request refused; the searches got {statuses}"
        body = assert_scim_error(refused, 429, None, "2 requests in progress", "retry")
        assert refused.headers["Retry-After"] == "1", body
        assert served_b == 200
        assert statuses == [200, 200]
    # The slots are given back once the requests are answered.
    assert first.client.get("/Users", params={"count": "1"}).status_code == 200
    other.close()
