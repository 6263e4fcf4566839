"""Serving the web app with uvicorn, in a thread of the current process.

Two steps, so a service started as root can give root up in between:
`WebServer.prepare()` binds the port (a port below 1024 needs root) and loads
the TLS certificate and key (often readable by root only); `start()` (or
`serve_forever()`) then serves from a thread (or the calling thread).

uvicorn's access log is off: request lines carry search words and document
numbers, and application logs must not hold patient data.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn

from chartdesk.app import App
from chartdesk.config import Settings
from chartdesk.errors import ConfigError, ToolMissingError

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 30.0


class WebServer:
    def __init__(self, settings: Settings, *, app: App | None = None, host: str | None = None,
                 port: int | None = None) -> None:
        self.settings = settings
        self.host = host or settings.web.host
        self.port = settings.web.port if port is None else port
        self._app = app
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.settings.web.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def prepare(self) -> None:
        """Bind the port and load TLS (do this before dropping root)."""
        from chartdesk.web.app import create_app

        self._sock = bind(self.host, self.port)
        self.port = self._sock.getsockname()[1]  # port 0: the one the system chose
        web = self.settings.web
        config = uvicorn.Config(
            create_app(self.settings, app=self._app),
            ssl_certfile=str(web.tls_certificate) if web.tls_certificate else None,
            ssl_keyfile=str(web.tls_key) if web.tls_key else None,
            proxy_headers=False,  # the app trusts only web.proxy_addresses, itself
            server_header=False,
            access_log=False,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
        try:
            config.load()
        except (OSError, ValueError) as exc:
            self._sock.close()
            raise ConfigError(
                f"the TLS certificate or key could not be loaded ({type(exc).__name__})",
                remedy="check web.tls_certificate and web.tls_key: PEM files, the key matching the certificate",
            ) from None
        self._server = uvicorn.Server(config)

    def start(self) -> None:
        """Serve from a daemon thread; returns once the server accepts connections."""
        server = self._prepared()
        self._thread = threading.Thread(target=self._run, name="web", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ToolMissingError("the web server did not start", remedy="see the log above for the reason")
            time.sleep(0.02)
        log.info("web UI serving on %s", self.url)

    def serve_forever(self) -> None:
        """Serve in the calling thread until SIGINT/SIGTERM (the main thread) or `stop()`."""
        self._prepared()
        log.info("web UI serving on %s", self.url)
        self._run()

    def _prepared(self) -> uvicorn.Server:
        if self._server is None:
            self.prepare()
        assert self._server is not None
        return self._server

    def _run(self) -> None:
        assert self._server is not None and self._sock is not None
        self._server.run(sockets=[self._sock])

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        if self._sock is not None:
            self._sock.close()


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this (Linux): uvicorn's h11 writes the headers and the
    # body separately, and Nagle's algorithm then holds the body for the client's delayed
    # ACK, 40 ms on every response.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror})",
            remedy="another program may be using the port: choose another with web.port or --port",
        ) from None
    sock.listen(2048)
    return sock
