"""Scale-out on a real MariaDB Galera cluster behind HAProxy, on loopback only.

    python -m benchmarks.cluster            # the full run (a few minutes on 2 cores)
    python -m benchmarks.cluster --tiny     # few requests, the same checks (CI)

It starts, each in a folder of its own and each stopped by its pid at the end: a 3-node Galera
cluster (Debian's mariadb-server and galera-4), GLPI's schema loaded once through the first node,
one glpi-scim instance (waitress) per node on its own port, and HAProxy in front with `/healthz`
checks. Then:

1. race: concurrent case-variant creates of one userName spread over the instances; exactly one
   is 201 and every node holds exactly one row;
2. failover: an Entra-style provisioning run (creates, PATCHes, group member edits) while one
   node is killed and later restarted; afterwards every acknowledged write is on every node, no
   row is duplicated, clients saw no 5xx but 503 with Retry-After, and the instance on the killed
   node serves again without being restarted;
3. throughput of GETs by id and userName filters with 1, 2 and 3 instances behind HAProxy.

The exit status is 0 only when every check holds; `--json FILE` keeps the figures.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import click
import pymysql

from benchmarks.databases import fresh_mariadb
from benchmarks.galera import ClusterFailed, GaleraCluster, GaleraNode, missing_tools
from benchmarks.haproxy import haproxy_binary, haproxy_process
from benchmarks.procs import LOOPBACK, ServerProcess
from benchmarks.seed import add_identity_server
from benchmarks.targets import glpi_scim_waitress
from glpi_scim.glpi import ids
from glpi_scim.scim.store import GROUP

DATABASE = "glpi"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
RACE_LOGIN = "race.user@cluster.example"


@dataclass(frozen=True)
class Plan:
    race_clients: int
    workers: int
    users_per_worker: int
    group_every: int  # a worker creates a group after this many users, and edits its members
    kill_after: float  # seconds into the provisioning run
    down_for: float  # seconds the node stays down
    throughput_seconds: float
    throughput_clients: int


FULL = Plan(50, 4, 60, 5, 8.0, 10.0, 15.0, 8)
TINY = Plan(50, 2, 12, 4, 2.0, 4.0, 2.0, 4)


# -- HTTP ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    retry_after: str | None


class Client:
    """One keep-alive connection to a loopback URL, answering status, JSON body, Retry-After."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base_url)
        assert parts.hostname == LOOPBACK, "the cluster run only talks to loopback"
        self.host, self.port, self.path = parts.hostname, parts.port or 80, parts.path
        self.headers = {"Accept": "application/scim+json", **headers}
        self.connection: http.client.HTTPConnection | None = None

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/scim+json"
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            self.connection.request(method, self.path + path, body=data, headers=headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            # No answer at all: for the run's bookkeeping, the same as a refusal to retry.
            return Answer(0, {}, None)
        if response.will_close:
            self.close()
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"raw": raw[:200].decode(errors="replace")}
        return Answer(response.status, parsed, response.getheader("Retry-After"))

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class Observed:
    """Every answer a run got, by status, and what breaks the contract."""

    statuses: Counter[int] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, path: str, answer: Answer) -> None:
        with self.lock:
            self.statuses[answer.status] += 1
            if answer.status == 0:
                self.violations.append(f"{method} {path}: connection lost without an answer")
            elif answer.status >= 500 and (answer.status != 503 or not answer.retry_after):
                self.violations.append(
                    f"{method} {path}: {answer.status} "
                    f"(Retry-After {answer.retry_after!r}) {answer.body.get('detail', '')}"
                )


def send_retrying(
    client: Client,
    observed: Observed,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    attempts: int = 20,
) -> tuple[Answer, bool]:
    """Send until the answer is not a 503 (as an IdP does, honouring Retry-After, here capped at
    a second to keep the run short). Returns the answer and whether a retry happened."""
    retried = False
    for _ in range(attempts):
        answer = client.send(method, path, body)
        observed.record(method, path, answer)
        if answer.status not in (0, 503):
            return answer, retried
        retried = True
        time.sleep(min(float(answer.retry_after or 1), 1.0))
    return answer, retried


# -- the cluster and its instances ----------------------------------------------------------------


@dataclass
class Deployment:
    cluster: GaleraCluster
    instances: list[ServerProcess]
    instance_urls: list[str]
    headers: dict[str, str]
    server_id: int
    folder: Path
    haproxy: ServerProcess | None = None
    haproxy_url: str = ""

    def node_of(self, index: int) -> GaleraNode:
        return self.cluster.nodes[index]

    def use_haproxy(self, count: int) -> None:
        """HAProxy in front of the first `count` instances (restarted when it was running)."""
        if self.haproxy is not None:
            self.haproxy.stop()
        backends = [
            (f"instance{i + 1}", urlsplit(url).port or 80)
            for i, url in enumerate(self.instance_urls[:count])
        ]
        process, port = haproxy_process(self.folder / f"haproxy-{count}", backends)
        self.haproxy = process.start(timeout=30)
        self.haproxy_url = f"http://{LOOPBACK}:{port}/scim/v2/{self.server_id}"


@contextmanager
def deployed(folder: Path, instances: int = 3) -> Iterator[Deployment]:
    with ExitStack() as stack:
        cluster = stack.enter_context(GaleraCluster(folder / "galera", size=instances))
        database = fresh_mariadb(cluster.nodes[0].server_url(), DATABASE)
        server, headers = add_identity_server(database)
        database.dispose()
        processes, urls = [], []
        for i, node in enumerate(cluster.nodes):
            launch = glpi_scim_waitress(
                f"instance{i + 1}", node.server_url(DATABASE), server.id, folder / "logs"
            )
            stack.enter_context(launch.process)
            processes.append(launch.process)
            urls.append(launch.base_url.rsplit("/scim/", 1)[0])
        deployment = Deployment(cluster, processes, urls, headers, server.id, folder)
        try:
            yield deployment
        finally:
            if deployment.haproxy is not None:
                deployment.haproxy.stop()


def node_query(node: GaleraNode, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """A query on one node that first waits until the node has applied every write the cluster
    committed before it (wsrep_sync_wait), so "present on every node" is checked, not raced."""
    connection = pymysql.connect(
        host=LOOPBACK, port=node.port, user="root", password="", database=DATABASE
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION wsrep_sync_wait = 1")
            cursor.execute(sql, args)
            return [tuple(row) for row in cursor.fetchall()]
    finally:
        connection.close()


# -- 1. the race ------------------------------------------------------------------------------


def case_variant(text: str, rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)


def run_race(deployment: Deployment, clients: int) -> dict[str, Any]:
    observed = Observed()
    barrier = threading.Barrier(clients)
    answers: list[int] = [0] * clients
    rng = random.Random(7)
    logins = [case_variant(RACE_LOGIN, rng) for _ in range(clients)]

    def create(i: int) -> None:
        client = Client(deployment.haproxy_url, deployment.headers)
        barrier.wait()
        answer, _ = send_retrying(
            client, observed, "POST", "/Users", {"schemas": [CORE_USER], "userName": logins[i]}
        )
        answers[i] = answer.status
        client.close()

    run_threads(create, clients)
    count_sql = "SELECT COUNT(*) FROM glpi_users WHERE name = %s"
    rows = {
        node.name: node_query(node, count_sql, (RACE_LOGIN,))[0][0]
        for node in deployment.cluster.nodes
    }
    outcome = Counter(answers)
    checks = {
        "exactly one 201": outcome[201] == 1,
        "every other answer is 409": outcome[409] == clients - 1,
        "one row on every node": all(count == 1 for count in rows.values()),
        "no 5xx but 503 with Retry-After": not observed.violations,
    }
    return {
        "clients": clients,
        "answers": dict(sorted(outcome.items())),
        "statuses_seen": dict(sorted(observed.statuses.items())),
        "rows_per_node": rows,
        "violations": observed.violations[:10],
        "checks": checks,
    }


def run_threads(work: Callable[[int], None], count: int) -> None:
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    if errors:
        raise errors[0]


# -- 2. provisioning while a node fails -----------------------------------------------------------


@dataclass
class Ledger:
    """What the cluster acknowledged: users (id -> (login, family name)), groups (id -> members)."""

    users: dict[str, tuple[str, str]] = field(default_factory=dict)
    groups: dict[str, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def provision(
    client: Client, observed: Observed, ledger: Ledger, worker: int, plan: Plan, tag: str
) -> None:
    mine: list[str] = []
    group_id = ""
    for k in range(plan.users_per_worker):
        login = f"w{worker}-u{k}-{tag}@cluster.example"
        body = {
            "schemas": [CORE_USER],
            "userName": login,
            "externalId": str(uuid.uuid4()),
            "name": {"givenName": f"U{k}", "familyName": "Created"},
            "emails": [{"value": login, "type": "work", "primary": True}],
            "active": True,
        }
        answer, retried = send_retrying(client, observed, "POST", "/Users", body)
        if answer.status == 409 and retried:
            # The first attempt committed but its answer was lost: find it, as an IdP does.
            found, _ = send_retrying(
                client, observed, "GET", "/Users?filter=" + quote(f'userName eq "{login}"')
            )
            resources = found.body.get("Resources", [])
            if not resources:
                continue
            user_id = str(resources[0]["id"])
        elif answer.status == 201:
            user_id = str(answer.body["id"])
        else:
            observed.violations.append(f"create {login}: {answer.status} {answer.body}")
            continue
        with ledger.lock:
            ledger.users[user_id] = (login, "Created")
        family = f"Patched{k}"
        patch = {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": "name.familyName", "value": family},
                {"op": "Replace", "path": "active", "value": "True"},
            ],
        }
        answer, _ = send_retrying(client, observed, "PATCH", f"/Users/{user_id}", patch)
        if answer.status in (200, 204):
            with ledger.lock:
                ledger.users[user_id] = (login, family)
        mine.append(user_id)
        if (k + 1) % plan.group_every:
            continue
        if not group_id:
            name = f"Cluster group {worker}-{tag}"
            answer, retried = send_retrying(
                client, observed, "POST", "/Groups", {"schemas": [CORE_GROUP], "displayName": name}
            )
            if answer.status == 201:
                group_id = str(answer.body["id"])
            elif answer.status == 409 and retried:
                found, _ = send_retrying(
                    client, observed, "GET", "/Groups?filter=" + quote(f'displayName eq "{name}"')
                )
                group_id = str(found.body["Resources"][0]["id"])
            else:
                observed.violations.append(f"group {name}: {answer.status} {answer.body}")
                continue
            with ledger.lock:
                ledger.groups[group_id] = set()
        added = mine[-plan.group_every :]
        add = {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Add", "path": "members", "value": [{"value": u} for u in added]}
            ],
        }
        answer, _ = send_retrying(client, observed, "PATCH", f"/Groups/{group_id}", add)
        if answer.status in (200, 204):
            with ledger.lock:
                ledger.groups[group_id] |= set(added)
        removed = added[0]
        remove = {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "remove", "path": f'members[value eq "{removed}"]'}],
        }
        answer, _ = send_retrying(client, observed, "PATCH", f"/Groups/{group_id}", remove)
        if answer.status in (200, 204):
            with ledger.lock:
                ledger.groups[group_id].discard(removed)


def run_failover(deployment: Deployment, plan: Plan) -> dict[str, Any]:
    observed = Observed()
    ledger = Ledger()
    tag = uuid.uuid4().hex[:6]
    victim_index = 1  # not the node that bootstrapped the cluster
    victim = deployment.node_of(victim_index)
    events: dict[str, float] = {}
    started = time.monotonic()

    def fail_and_recover() -> None:
        time.sleep(plan.kill_after)
        victim.kill()
        events["killed_at"] = time.monotonic() - started
        time.sleep(plan.down_for)
        deployment.cluster.restart(victim)
        events["synced_at"] = time.monotonic() - started

    chaos = threading.Thread(target=fail_and_recover, daemon=True)
    chaos.start()

    def work(worker: int) -> None:
        client = Client(deployment.haproxy_url, deployment.headers)
        provision(client, observed, ledger, worker, plan, tag)
        client.close()

    run_threads(work, plan.workers)
    events["provisioned_at"] = time.monotonic() - started
    chaos.join(300)
    if "synced_at" not in events:
        raise ClusterFailed(f"{victim.name} did not come back: {victim.log_tail()}")

    recovered = wait_instance_healthy(deployment.instance_urls[victim_index], timeout=60)
    direct = Client(
        f"{deployment.instance_urls[victim_index]}/scim/v2/{deployment.server_id}",
        deployment.headers,
    )
    answer = direct.send("GET", "/Users?count=1")
    direct.close()

    missing, wrong, duplicates = verify_ledger(deployment, ledger)
    checks = {
        "every acknowledged write on every node": not missing and not wrong,
        "no duplicate row": not duplicates,
        "no 5xx but 503 with Retry-After": not observed.violations,
        "instance on the killed node serves again unrestarted": recovered
        and answer.status == 200
        and deployment.instances[victim_index].process is not None
        and deployment.instances[victim_index].process.poll() is None,
    }
    return {
        "workers": plan.workers,
        "users_acknowledged": len(ledger.users),
        "groups_acknowledged": len(ledger.groups),
        "memberships_acknowledged": sum(len(m) for m in ledger.groups.values()),
        "killed": victim.name,
        "events_s": {name: round(value, 1) for name, value in events.items()},
        "statuses_seen": dict(sorted(observed.statuses.items())),
        "missing": missing[:10],
        "wrong": wrong[:10],
        "duplicates": duplicates[:10],
        "violations": observed.violations[:10],
        "checks": checks,
    }


def wait_instance_healthy(url: str, timeout: float) -> bool:
    client = Client(url, {})
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if client.send("GET", "/healthz").status == 200:
                return True
            time.sleep(0.5)
        return False
    finally:
        client.close()


def verify_ledger(deployment: Deployment, ledger: Ledger) -> tuple[list[str], list[str], list[str]]:
    missing: list[str] = []
    wrong: list[str] = []
    duplicates: list[str] = []
    user_ids = [int(u) for u in ledger.users]
    for node in deployment.cluster.nodes:
        rows = (
            {
                str(row[0]): (str(row[1]), str(row[2]))
                for row in node_query(
                    node,
                    "SELECT id, name, realname FROM glpi_users WHERE id IN ("
                    + ",".join(["%s"] * len(user_ids))
                    + ")",
                    tuple(user_ids),
                )
            }
            if user_ids
            else {}
        )
        for user_id, expected in ledger.users.items():
            if user_id not in rows:
                missing.append(f"{node.name}: user {user_id} {expected[0]}")
            elif rows[user_id] != expected:
                wrong.append(f"{node.name}: user {user_id} is {rows[user_id]}, not {expected}")
        for group_id, members in ledger.groups.items():
            found = {
                str(row[0])
                for row in node_query(
                    node,
                    "SELECT users_id FROM glpi_groups_users WHERE groups_id = %s",
                    (ids.parse(GROUP, group_id),),
                )
            }
            if found != members:
                wrong.append(
                    f"{node.name}: group {group_id} has {sorted(found)}, not {sorted(members)}"
                )
        for name, count in node_query(
            node, "SELECT name, COUNT(*) FROM glpi_users GROUP BY name HAVING COUNT(*) > 1"
        ):
            duplicates.append(f"{node.name}: login {name} x{count}")
        for users_id, groups_id, count in node_query(
            node,
            "SELECT users_id, groups_id, COUNT(*) FROM glpi_groups_users "
            "GROUP BY users_id, groups_id HAVING COUNT(*) > 1",
        ):
            duplicates.append(f"{node.name}: membership {users_id}/{groups_id} x{count}")
    return missing, wrong, duplicates


# -- 3. throughput by instance count ---------------------------------------------------------


def run_throughput(deployment: Deployment, plan: Plan) -> list[dict[str, Any]]:
    setup = Client(deployment.haproxy_url, deployment.headers)
    found = setup.send("GET", "/Users?count=200&attributes=userName")
    setup.close()
    users = [(str(r["id"]), str(r["userName"])) for r in found.body.get("Resources", [])]
    if not users:
        raise ClusterFailed("no users to read for the throughput phase")
    results = []
    for count in range(1, len(deployment.instances) + 1):
        deployment.use_haproxy(count)
        wait_haproxy_ready(deployment, count)
        observed, requests, elapsed = read_load(deployment, plan, users)
        ok = observed.statuses[200]
        results.append(
            {
                "instances": count,
                "clients": plan.throughput_clients,
                "seconds": round(elapsed, 1),
                "requests": requests,
                "requests_per_s": round(ok / elapsed, 1),
                "non_200": sum(n for s, n in observed.statuses.items() if s != 200),
            }
        )
    deployment.use_haproxy(len(deployment.instances))
    return results


def read_load(
    deployment: Deployment, plan: Plan, users: list[tuple[str, str]]
) -> tuple[Observed, int, float]:
    """GETs by id and userName filters through HAProxy for the plan's seconds."""
    observed = Observed()
    done = [0] * plan.throughput_clients
    stop_at = time.monotonic() + plan.throughput_seconds

    def load(i: int) -> None:
        client = Client(deployment.haproxy_url, deployment.headers)
        rng = random.Random(i)
        while time.monotonic() < stop_at:
            user_id, login = rng.choice(users)
            if rng.random() < 0.5:
                path = f"/Users/{user_id}"
            else:
                path = "/Users?filter=" + quote(f'userName eq "{login}"')
            observed.record("GET", path, client.send("GET", path))
            done[i] += 1
        client.close()

    started = time.monotonic()
    run_threads(load, plan.throughput_clients)
    return observed, sum(done), time.monotonic() - started


def wait_haproxy_ready(deployment: Deployment, count: int, timeout: float = 30) -> None:
    """Until a round of `count` requests through HAProxy all succeed (every backend is up)."""
    client = Client(deployment.haproxy_url, deployment.headers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if all(client.send("GET", "/Users?count=1").status == 200 for _ in range(count * 2)):
                return
            time.sleep(0.5)
    finally:
        client.close()
    raise ClusterFailed("HAProxy did not bring every instance up")


# -- the command -----------------------------------------------------------------------------


def work_folder(given: Path | None) -> Path:
    """A folder the nodes' `mysql` user can enter (pytest's and mkdtemp's folders are 0700)."""
    folder = given or Path(tempfile.mkdtemp(prefix="glpiscim-cluster-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    return folder


def run_all(plan: Plan, folder: Path) -> dict[str, Any]:
    report: dict[str, Any] = {"plan": asdict(plan), "folder": str(folder)}
    started = time.monotonic()
    with deployed(folder) as deployment:
        report["cluster_ready_s"] = round(time.monotonic() - started, 1)
        deployment.use_haproxy(len(deployment.instances))
        wait_haproxy_ready(deployment, len(deployment.instances))
        report["race"] = run_race(deployment, plan.race_clients)
        report["failover"] = run_failover(deployment, plan)
        report["throughput"] = run_throughput(deployment, plan)
    report["total_s"] = round(time.monotonic() - started, 1)
    report["passed"] = all(all(report[part]["checks"].values()) for part in ("race", "failover"))
    return report


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for part in ("race", "failover"):
        table = Table(title=part, show_header=True)
        table.add_column("check")
        table.add_column("result")
        for name, held in report[part]["checks"].items():
            table.add_row(name, "[green]ok[/]" if held else "[red]FAILED[/]")
        console.print(table)
        figures = {k: v for k, v in report[part].items() if k != "checks" and v}
        console.print_json(json.dumps(figures, default=str))
    table = Table(title="throughput behind HAProxy (GET by id and userName filter)")
    for column in ("instances", "clients", "seconds", "requests", "requests/s", "non-200"):
        table.add_column(column, justify="right")
    keys = ("instances", "clients", "seconds", "requests", "requests_per_s", "non_200")
    for row in report["throughput"]:
        table.add_row(*(str(row[k]) for k in keys))
    console.print(table)
    console.print("[green]every check held[/]" if report["passed"] else "[red]a check failed[/]")


@click.command()
@click.option("--tiny", is_flag=True, help="Few requests, the same checks (what CI runs).")
@click.option(
    "--folder",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the nodes, instances and HAProxy keep their files (default: a new temp folder).",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False))
def main(tiny: bool, folder: Path | None, json_path: Path | None) -> None:
    """Race, failover and throughput of glpi-scim on a 3-node Galera cluster behind HAProxy."""
    missing = missing_tools() + ([] if haproxy_binary() else ["haproxy (Debian package haproxy)"])
    if missing:
        raise click.ClickException("missing: " + ", ".join(missing))
    report = run_all(TINY if tiny else FULL, work_folder(folder))
    print_report(report)
    if json_path:
        json_path.write_text(json.dumps(report, indent=2, default=str))
    raise SystemExit(0 if report["passed"] else 1)


if __name__ == "__main__":
    main()
