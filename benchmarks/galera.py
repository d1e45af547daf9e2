"""A MariaDB Galera cluster on loopback, in a folder of its own, for the scale-out benchmark.

Each node is a `mariadbd` started from Debian's `mariadb-server` with Debian's `galera-4`
provider, its own data directory, client port and Galera ports (group communication, IST, SST),
all bound to 127.0.0.1. The first node bootstraps the cluster; the others join it by state
transfer (rsync). Every process is started in its own session and stopped by its pid.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymysql

from benchmarks.procs import LOOPBACK, free_port

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "mariadb-install-db"
PROVIDER_CANDIDATES = ("/usr/lib/galera/libgalera_smm.so", "/usr/lib/libgalera_smm.so")
CLUSTER_NAME = "glpiscim_bench"


class ClusterFailed(RuntimeError):
    """A node did not start, join or sync; the message carries the end of its error log."""


def galera_provider() -> str | None:
    """The Galera provider library, or None when galera-4 is not installed."""
    return next((path for path in PROVIDER_CANDIDATES if Path(path).is_file()), None)


def missing_tools() -> list[str]:
    """What this machine lacks to run a cluster (empty when everything is there)."""
    missing = []
    if not Path(MARIADBD).is_file():
        missing.append(f"{MARIADBD} (Debian package mariadb-server)")
    if shutil.which(INSTALL_DB) is None:
        missing.append(f"{INSTALL_DB} (Debian package mariadb-server)")
    if galera_provider() is None:
        missing.append("libgalera_smm.so (Debian package galera-4)")
    if shutil.which("rsync") is None:
        missing.append("rsync (state transfer between nodes)")
    return missing


def _run_as() -> str:
    """mariadbd refuses to run as root, and rsync's SST daemon drops root to 'nobody', which
    cannot write the data directory: as root, the nodes run as Debian's `mysql` user."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid()).pw_name
    return "mysql"


@dataclass
class GaleraNode:
    index: int
    folder: Path
    port: int = field(default_factory=free_port)
    gcomm_port: int = field(default_factory=free_port)
    ist_port: int = field(default_factory=free_port)
    sst_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return f"node{self.index + 1}"

    @property
    def config(self) -> Path:
        return self.folder / "my.cnf"

    @property
    def error_log(self) -> Path:
        return self.folder / "error.log"

    def server_url(self, database: str = "") -> str:
        return f"mysql+pymysql://root@{LOOPBACK}:{self.port}/{database}"

    def write_config(self, peers: list[GaleraNode], user: str, provider: str) -> None:
        data = self.folder / "data"
        gcomm = ",".join(f"{LOOPBACK}:{peer.gcomm_port}" for peer in peers)
        provider_options = ";".join(
            (
                f"gmcast.listen_addr=tcp://{LOOPBACK}:{self.gcomm_port}",
                f"ist.recv_addr={LOOPBACK}:{self.ist_port}",
                "gcache.size=128M",
                # A killed peer is noticed within seconds, not the default 5 s + 15 s.
                "evs.suspect_timeout=PT3S",
                "evs.inactive_timeout=PT6S",
            )
        )
        self.config.write_text(
            "\n".join(
                (
                    "[mysqld]",
                    f"user={user}",
                    f"datadir={data}",
                    f"socket={self.folder / 'mysqld.sock'}",
                    f"pid-file={self.folder / 'mysqld.pid'}",
                    f"log-error={self.error_log}",
                    f"port={self.port}",
                    f"bind-address={LOOPBACK}",
                    "skip-name-resolve",
                    "character-set-server=utf8mb4",
                    "collation-server=utf8mb4_unicode_ci",
                    "binlog_format=ROW",
                    "default_storage_engine=InnoDB",
                    "innodb_autoinc_lock_mode=2",
                    "innodb_buffer_pool_size=128M",
                    "innodb_flush_log_at_trx_commit=2",
                    "max_connections=300",
                    # A read waits until the node has applied what the cluster committed
                    # before it: a PATCH sent to another node right after a create finds it.
                    "wsrep_sync_wait=1",
                    "wsrep_on=ON",
                    f"wsrep_provider={provider}",
                    f"wsrep_cluster_name={CLUSTER_NAME}",
                    f"wsrep_cluster_address=gcomm://{gcomm}",
                    f"wsrep_node_name={self.name}",
                    f"wsrep_node_address={LOOPBACK}:{self.gcomm_port}",
                    f'wsrep_provider_options="{provider_options}"',
                    "wsrep_sst_method=rsync",
                    f"wsrep_sst_receive_address={LOOPBACK}:{self.sst_port}",
                    "",
                )
            )
        )

    def install(self) -> None:
        result = subprocess.run(
            [
                INSTALL_DB,
                f"--defaults-file={self.config}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ClusterFailed(f"{self.name}: {INSTALL_DB} failed: {result.stderr[-2000:]}")

    def start(self, bootstrap: bool = False) -> None:
        command = [MARIADBD, f"--defaults-file={self.config}"]
        if bootstrap:
            command.append("--wsrep-new-cluster")
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the node and its state-transfer helpers: a crash, not a shutdown."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self, timeout: float = 60.0) -> None:
        if not self.running:
            return
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            pass

    def status(self) -> dict[str, str]:
        """The node's wsrep status variables, or {} when it does not answer."""
        try:
            connection = pymysql.connect(
                host=LOOPBACK, port=self.port, user="root", password="", connect_timeout=2
            )
        except pymysql.err.OperationalError:
            return {}
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW GLOBAL STATUS LIKE 'wsrep_%'")
                return {str(name): str(value) for name, value in cursor.fetchall()}
        finally:
            connection.close()

    def wait_synced(self, cluster_size: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise ClusterFailed(f"{self.name} exited: {self.log_tail()}")
            status = self.status()
            if (
                status.get("wsrep_local_state_comment") == "Synced"
                and status.get("wsrep_ready") == "ON"
                and int(status.get("wsrep_cluster_size", "0")) >= cluster_size
            ):
                return
            time.sleep(0.5)
        raise ClusterFailed(f"{self.name} not synced after {timeout:.0f}s: {self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.error_log.read_text(errors="replace")
        except (FileNotFoundError, PermissionError):
            return "(no error log)"
        return "\n".join(text.splitlines()[-lines:])


class GaleraCluster:
    """`size` nodes in `folder` (made anew); a context manager that stops every node."""

    def __init__(self, folder: Path, size: int = 3) -> None:
        self.folder = folder
        self.nodes = [GaleraNode(i, folder / f"node{i + 1}") for i in range(size)]

    def start(self) -> GaleraCluster:
        missing = missing_tools()
        if missing:
            raise ClusterFailed("missing: " + ", ".join(missing))
        provider = galera_provider()
        assert provider is not None
        user = _run_as()
        if self.folder.exists():
            shutil.rmtree(self.folder)
        for node in self.nodes:
            node.folder.mkdir(parents=True)
            node.write_config(self.nodes, user, provider)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(user)
            for path in [self.folder, *self.folder.rglob("*")]:
                os.chown(path, entry.pw_uid, entry.pw_gid)
        for node in self.nodes:
            node.install()
        first, *others = self.nodes
        first.start(bootstrap=True)
        first.wait_synced(1)
        for node in others:  # one at a time: each joiner takes a full state transfer
            node.start()
            node.wait_synced(node.index + 1)
        return self

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()

    def __enter__(self) -> GaleraCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def restart(self, node: GaleraNode) -> None:
        """Start a killed node again: it recovers its position and catches up (IST)."""
        node.start()
        node.wait_synced(len(self.nodes))
