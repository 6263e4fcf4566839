"""Serving the UI for real: TLS (Secure cookies with the __Host- prefix, HSTS),
a trusted reverse proxy, refusing plain HTTP to the network, `chartdesk serve`,
and `chartdesk run` serving the UI beside its workers as an unprivileged account."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from chartdesk.db import audit_events
from chartdesk.errors import ConfigError
from chartdesk.web import WebServer
from tests.conftest import REPO, make_settings, write_config
from tests.web.conftest import csrf_of
from tests.web.data import Site


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chartdesk test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _login(client: httpx.Client, site: Site, role: str) -> httpx.Response:
    user = site.users[role]
    form = client.get("/login")
    return client.post("/login", data={"username": user.username, "password": user.password,
                                       "csrf_token": csrf_of(form.text)})


def test_over_tls_cookies_are_secure_and_hsts_is_sent(site: Site, tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    web = site.settings.web.model_copy(update={"tls_certificate": cert, "tls_key": key})
    server = WebServer(site.settings.model_copy(update={"web": web}), app=site.app, host="127.0.0.1", port=0)
    server.start()
    try:
        assert server.url.startswith("https://")
        with httpx.Client(base_url=server.url, verify=ssl.create_default_context(cafile=str(cert))) as client:
            form = client.get("/login")
            assert form.headers["strict-transport-security"].startswith("max-age=")
            assert re.search(r"__Host-cd_login=[^;]+;.*Secure", form.headers["set-cookie"])
            response = _login(client, site, "records")
            assert "__Host-cd_session=" in response.headers["set-cookie"]
            assert "Secure" in response.headers["set-cookie"] and "HttpOnly" in response.headers["set-cookie"]
            assert client.get("/search").status_code == 200
        with pytest.raises(httpx.HTTPError), httpx.Client(base_url=server.url.replace("https", "http")) as plain:
            plain.get("/login")
    finally:
        server.stop()


def test_behind_a_trusted_proxy_the_client_address_and_https_come_from_its_headers(site: Site) -> None:
    web = site.settings.web.model_copy(update={"proxy_addresses": ("127.0.0.1",)})
    server = WebServer(site.settings.model_copy(update={"web": web}), app=site.app, host="127.0.0.1", port=0)
    server.start()
    try:
        headers = {"X-Forwarded-For": "10.20.30.40", "X-Forwarded-Proto": "https"}
        with httpx.Client(base_url=server.url, headers=headers) as client:
            form = client.get("/login")
            assert "__Host-cd_login" in form.headers["set-cookie"] and "Secure" in form.headers["set-cookie"]
            user = site.users["billing"]
            client.cookies.set("__Host-cd_login", client.cookies.get("__Host-cd_login") or "")
            client.post("/login", data={"username": user.username, "password": "a wrong password!",
                                        "csrf_token": csrf_of(form.text)})
    finally:
        server.stop()
    with site.app.db.read() as conn:
        clients = conn.execute(select(audit_events.c.client).where(
            audit_events.c.action == "login_failed", audit_events.c.actor == site.users["billing"].username)).scalars()
        assert "web:10.20.30.40" in set(clients)


def test_plain_http_to_the_network_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="without TLS"):
        make_settings(tmp_path, web={"host": "0.0.0.0"})
    with pytest.raises(ConfigError, match="go together"):
        make_settings(tmp_path, web={"tls_certificate": str(tmp_path / "c.pem")})
    assert make_settings(tmp_path, web={"host": "0.0.0.0", "proxy_addresses": ["10.0.0.5"]}).web.host == "0.0.0.0"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, seconds: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _chartdesk(cfg: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "chartdesk", "--config", str(cfg), *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _stop(proc: subprocess.Popen[bytes]) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return out.decode(errors="replace"), err.decode(errors="replace")


def test_chartdesk_serve_refuses_a_network_host_without_tls(tmp_path: Path) -> None:
    cfg = write_config(tmp_path)
    subprocess.run([sys.executable, "-m", "chartdesk", "--config", str(cfg), "init"], cwd=REPO, check=True,
                   capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    proc = _chartdesk(cfg, "serve", "--host", "0.0.0.0", "--port", str(_free_port()))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, (out, err)
    assert b"without TLS" in err


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def test_chartdesk_run_serves_the_ui_beside_its_workers(tmp_path: Path) -> None:
    port = _free_port()
    cfg = write_config(tmp_path, web={"enabled": True, "port": port}, pipeline={"workers": 1})
    init = subprocess.run([sys.executable, "-m", "chartdesk", "--config", str(cfg), "init"], cwd=REPO,
                          capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert init.returncode == 0, init.stderr
    proc = _chartdesk(cfg, "run")
    try:
        response = _wait_for(f"http://127.0.0.1:{port}/login")
        assert response.status_code == 200 and "Log in" in response.text
        deadline = time.monotonic() + 30
        while not _children(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _children(proc.pid), "no worker process beside the web server"
        assert proc.poll() is None
    finally:
        out, err = _stop(proc)
    assert proc.returncode == 0, (out, err[-2000:])
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)


def _drop_in_child(settings: object) -> dict[str, object]:
    """Run drop_privileges in a forked child (it cannot be undone) and report what it became."""
    import json

    from chartdesk.service import drop_privileges

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop, look around, report, exit
        os.close(read_end)
        report: dict[str, object] = {}
        try:
            drop_privileges(settings)  # type: ignore[arg-type]
        except ConfigError as err:
            report["error"] = str(err)
        report.update(uid=os.getuid(), euid=os.geteuid(), gid=os.getgid(), groups=os.getgroups())
        try:
            os.setuid(0)
            report["regained_root"] = True
        except PermissionError:
            report["regained_root"] = False
        os.write(write_end, json.dumps(report).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)  # type: ignore[no-any-return]


def test_started_as_root_it_becomes_the_service_account_for_good(tmp_path: Path) -> None:
    """Given settings naming service_user "nobody", when the service drops privileges as it
    starts (in a forked child here, since it cannot be undone), then it runs as nobody with
    no extra groups, cannot become root again, and owns its data directory."""
    from chartdesk.app import open_app
    from chartdesk.service import drop_privileges

    settings = make_settings(tmp_path, web={"service_user": "nobody"})
    open_app(settings, create=True).close()
    if os.geteuid() != 0:
        assert drop_privileges(settings) is None  # an ordinary user has nothing to give up
        return
    report = _drop_in_child(settings)
    nobody = 65534
    assert report["uid"] == report["euid"] == nobody and report["gid"] == 65534
    assert report["groups"] in ([], [65534]) and report["regained_root"] is False
    assert (tmp_path / "data" / "chartdesk.db").stat().st_uid == nobody
    assert (tmp_path / "data" / "store").stat().st_uid == nobody
    if "error" in report:  # this machine's Python lives where nobody may not read (e.g. /root)
        assert "cannot read" in str(report["error"]) and os.path.realpath(sys.executable).startswith("/root/")


def test_a_missing_service_account_is_refused_as_root(tmp_path: Path) -> None:
    from chartdesk.service import drop_privileges

    settings = make_settings(tmp_path, web={"service_user": "no-such-account"})
    if os.geteuid() != 0:
        assert drop_privileges(settings) is None
        return
    with pytest.raises(ConfigError, match="does not exist"):
        drop_privileges(settings)
