"""Running the sandbox on a loopback port in a background thread.

    with start_sandbox(SandboxConfig(mode="datacenter")) as running:
        jira = JIRA(server=running.base_url, basic_auth=("csp-sync", "csp-sync-token"))
        ...
        running.admin.stats()

The socket is bound before the thread starts (port 0 picks a free port), so `base_url` is valid
as soon as `start_sandbox` returns; `stop()` shuts the server down and joins the thread.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from jira_sandbox.admin_client import SandboxAdmin
from jira_sandbox.app import create_app
from jira_sandbox.config import SandboxConfig
from jira_sandbox.core import Sandbox

STARTUP_TIMEOUT_S = 10.0


class SandboxStartError(RuntimeError):
    """The sandbox could not start (port taken, bad seed...); the message says why."""


class RunningSandbox:
    """A sandbox serving HTTP: `base_url`, `admin` (the admin API client), `sandbox` (its
    state, for direct access under `sandbox.state.lock`), `stop()`; a context manager."""

    def __init__(
        self, sandbox: Sandbox, server: uvicorn.Server, thread: threading.Thread, base_url: str
    ) -> None:
        self.sandbox = sandbox
        self.config = sandbox.config
        self._server = server
        self._thread = thread
        self.base_url = base_url
        self.admin = SandboxAdmin(base_url)

    @property
    def mode(self) -> str:
        return self.config.mode

    def credentials(self, name: str = "csp-sync") -> tuple[str, str]:
        """(user name, API token) of a seeded user, for basic auth."""
        user = self.sandbox.state.users[name]
        return user.name, user.token

    def reset(self) -> None:
        """Back to the seed (issues, stats, knobs, clock), without an HTTP round trip."""
        self.sandbox.reset()

    def stop(self) -> None:
        self.admin.close()
        if not self._thread.is_alive():
            return
        # force_exit: do not wait for stalled calls (the timeout knob); asyncio.run cancels them.
        self._server.should_exit = True
        self._server.force_exit = True
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto
    # says TCP, and without it every keep-alive answer waits ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SandboxStartError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


def start_sandbox(
    config: SandboxConfig | None = None, *, sandbox: Sandbox | None = None
) -> RunningSandbox:
    """Start a sandbox for `config` (default: Cloud mode, default seed, free loopback port)."""
    config = config or (sandbox.config if sandbox is not None else SandboxConfig())
    core = sandbox if sandbox is not None else Sandbox(config)
    sock = _bind(config.host, config.port)
    host, port = sock.getsockname()[:2]
    uvicorn_config = uvicorn.Config(
        create_app(sandbox=core),
        log_level="warning",
        access_log=False,
        lifespan="off",
        http="h11",
        loop="asyncio",
    )
    server = uvicorn.Server(uvicorn_config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"jira-sandbox-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise SandboxStartError(f"the sandbox did not start on {host}:{port}")
        time.sleep(0.005)
    shown_host = f"[{host}]" if ":" in host else host
    return RunningSandbox(core, server, thread, f"http://{shown_host}:{port}")
