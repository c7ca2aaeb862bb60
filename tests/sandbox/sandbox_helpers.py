"""Small helpers for driving a running sandbox over plain HTTP in tests."""

from __future__ import annotations

from typing import Any

import requests

from jira_sandbox.server import RunningSandbox


class JiraHttp:
    """A `requests` session against one sandbox, authenticated as a seeded user."""

    def __init__(self, running: RunningSandbox, user: str = "csp-sync", version: int = 2) -> None:
        self.running = running
        self.base = running.base_url
        self.version = version
        self.session = requests.Session()
        self.session.auth = running.credentials(user)

    def url(self, path: str) -> str:
        if path.startswith("/"):
            return self.base + path
        return f"{self.base}/rest/api/{self.version}/{path}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.url(path), timeout=10, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.put(self.url(path), timeout=10, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.delete(self.url(path), timeout=10, **kwargs)

    def create(self, summary: str = "Disk full on db01", **fields: Any) -> dict[str, Any]:
        body = {
            "fields": {
                "project": {"key": "CSP"},
                "issuetype": {"name": "Incident"},
                "summary": summary,
                **fields,
            }
        }
        response = self.post("issue", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def jql(self, jql: str, **params: Any) -> list[str]:
        """Keys matching `jql` through the mode's search endpoint (first page)."""
        if self.running.mode == "cloud":
            response = self.get("search/jql", params={"jql": jql, "fields": "key", **params})
        else:
            response = self.get("search", params={"jql": jql, "fields": "summary", **params})
        assert response.status_code == 200, response.text
        return [issue["key"] for issue in response.json()["issues"]]
