"""The two ways the contract suite talks to the sandbox: the real `jira` package and `requests`."""

from __future__ import annotations

from typing import Any

import jira
import requests

SYNC_USER = "csp-sync"
SYNC_AUTH = (SYNC_USER, "csp-sync-token")


class JiraHttp:
    """A `requests.Session` on the sandbox with basic auth, for calls the `jira` package lacks."""

    def __init__(self, base_url: str, *, auth: tuple[str, str] | None = SYNC_AUTH) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = auth
        self.session.headers["Accept"] = "application/json"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def jira_client(base_url: str, auth: tuple[str, str] = SYNC_AUTH) -> jira.JIRA:
    # As the product's gateway builds it, except that serverInfo is read on construction.
    return jira.JIRA(
        server=base_url,
        basic_auth=auth,
        max_retries=0,
        timeout=10,
        options={"check_update": False},
    )
