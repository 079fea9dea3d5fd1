"""The console's one port: the public HTTP API, called with the signed-in user's key. Its
answers come back as JSON; its refusals as `ApiError` with the status and the API's words."""

from __future__ import annotations

from typing import Any

import httpx


class ApiError(Exception):
    """The API refused (4xx/5xx) or did not answer (status 503)."""

    def __init__(self, status: int, detail: str, retry_after: str | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


def _detail(response: httpx.Response) -> str:
    """The API's `detail` in plain words: a string, or each validation error's field and message."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(detail, list):
        parts = []
        for err in detail:
            where = ".".join(str(p) for p in err.get("loc", [])[1:]) if isinstance(err, dict) else ""
            message = err.get("msg", str(err)) if isinstance(err, dict) else str(err)
            parts.append(f"{where}: {message}" if where else message)
        return "; ".join(parts)
    return str(detail)


class ApiClient:
    """One pooled HTTP client for the process; every call names the key it acts with."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s)

    async def request(self, key: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The API's answer; raises ApiError for a refusal or when it cannot be reached."""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        try:
            response = await self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(503, f"the API did not answer ({type(exc).__name__})") from exc
        if response.status_code >= 400:
            raise ApiError(response.status_code, _detail(response), response.headers.get("retry-after"))
        return response

    async def json(self, key: str | None, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.request(key, method, path, **kwargs)
        return response.json() if response.content else None

    async def get(self, key: str | None, path: str, **params: Any) -> Any:
        return await self.json(key, "GET", path, params={k: v for k, v in params.items() if v is not None})

    async def aclose(self) -> None:
        await self._http.aclose()

    async def workflow(self, key: str | None, workflow_key: str) -> dict[str, Any]:
        """GET /workflows/{key}: what every screen of a workflow shows in its header."""
        result: dict[str, Any] = await self.get(key, f"/workflows/{workflow_key}")
        return result
