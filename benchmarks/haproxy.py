"""HAProxy (Debian's `haproxy`) in front of glpi-scim instances, on loopback, for the cluster run.

Round robin over the instances, each checked on `/healthz` every half second: an instance whose
database node is gone answers 503 there and leaves the pool within about a second; it comes
back by itself when its node does. When no instance is up, HAProxy's own 503 carries a
Retry-After like glpi-scim's, so a client sees one kind of refusal whatever answered it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.procs import LOOPBACK, ServerProcess, free_port

HAPROXY = "haproxy"


def haproxy_binary() -> str | None:
    return shutil.which(HAPROXY) or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").is_file() else None
    )


def config_text(port: int, backends: list[tuple[str, int]]) -> str:
    servers = "\n".join(
        f"    server {name} {LOOPBACK}:{backend_port} check" for name, backend_port in backends
    )
    return f"""global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    option http-keep-alive

frontend scim
    bind {LOOPBACK}:{port}
    default_backend glpiscim

backend glpiscim
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2
    errorfile 503 {{errorfile}}
{servers}
"""


NO_BACKEND = (
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/scim+json\r\n"
    "Retry-After: 2\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: close\r\n"
    "\r\n"
    '{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"503",'
    '"detail":"no glpi-scim instance is available; retry later"}\n'
)


def haproxy_process(folder: Path, backends: list[tuple[str, int]]) -> tuple[ServerProcess, int]:
    """HAProxy in the foreground (its own session, stopped by pid) and the port it listens on."""
    binary = haproxy_binary()
    if binary is None:
        raise FileNotFoundError("haproxy is not installed (Debian package haproxy)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    errorfile = folder / "503.http"
    errorfile.write_text(NO_BACKEND)
    config = folder / "haproxy.cfg"
    config.write_text(config_text(port, backends).replace("{errorfile}", str(errorfile)))
    process = ServerProcess(
        "haproxy",
        [binary, "-db", "-f", str(config)],
        f"http://{LOOPBACK}:{port}/healthz",
        folder / "haproxy.log",
    )
    return process, port
