"""HTTP clients for the PacketFS Compute API (/v1), built on urllib only.

``Client`` makes blocking requests; ``AsyncClient`` runs the same requests in
the event loop's thread pool, so ``await client.submit_job(job)`` works the
way the original Python dispatcher's ``await dispatcher.submit_job(job)`` did.
Every failure is a ``PacketFSError`` with the server's stable code.
"""

import asyncio
import functools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, TypeVar

from .errors import PacketFSError

JSON = Dict[str, Any]
T = TypeVar("T")

#: The server answers one long-poll for at most this long; longer waits are several requests.
MAX_WAIT_PER_REQUEST_S = 60.0
#: Added to a long-poll's wait to get the socket timeout of that request.
REQUEST_SLACK_S = 30.0


class Client:
    """A blocking client of one PacketFS server.

    ``base_url`` is the server's origin, e.g. ``http://127.0.0.1:8080``;
    ``token`` is sent as ``Authorization: Bearer <token>`` when given.
    """

    def __init__(self, base_url: str, token: Optional[str] = None, timeout: float = REQUEST_SLACK_S) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("base_url must be an http(s) URL such as http://127.0.0.1:8080, got %r" % base_url)
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def submit_job(self, job: Mapping[str, Any]) -> str:
        """Queues one job (the original ComputeJob fields) and returns its job_id.

        A job_id the server already knows is not queued again (idempotency key).
        """
        reply = self._json("POST", "/v1/jobs", job)
        return str(reply["job_id"])

    def submit_jobs(self, jobs: Sequence[Mapping[str, Any]]) -> List[str]:
        """Queues a batch (at most 10,000) in one request; all or nothing. Returns the job_ids in order."""
        reply = self._json("POST", "/v1/jobs", {"jobs": list(jobs)})
        return [str(job_id) for job_id in reply["job_ids"]]

    def get_result(self, job_id: str, wait: Optional[float] = None) -> Optional[JSON]:
        """The job's result record, or None while it has not finished.

        ``wait`` (seconds) long-polls until the job finishes or the time is up;
        waits over 60 s take several requests. An unknown job raises
        ``PacketFSError`` with code ``NOT_FOUND``.
        """
        if wait is not None and not (wait >= 0):
            raise ValueError("wait must be a number of seconds >= 0, got %r" % (wait,))
        deadline = time.monotonic() + (wait or 0.0)
        path = "/v1/jobs/%s/result" % _quote(job_id)
        while True:
            remaining = min(max(0.0, deadline - time.monotonic()), MAX_WAIT_PER_REQUEST_S)
            status, body = self._request("GET", "%s?wait=%.3f" % (path, remaining), timeout=remaining + self.timeout)
            if status == 200:
                return body
            if time.monotonic() >= deadline:
                return None

    def get_job(self, job_id: str) -> JSON:
        """The job's status view (status, attempts, errors, result). Unknown: ``NOT_FOUND``."""
        return self._json("GET", "/v1/jobs/%s" % _quote(job_id))

    def get_metrics(self, limit: Optional[int] = None) -> JSON:
        """Recent per-job metric records (newest first) and aggregates per substrate."""
        return self._json("GET", "/v1/metrics" if limit is None else "/v1/metrics?limit=%d" % limit)

    def cancel(self, job_id: str) -> bool:
        """Cancels a queued or running job: True if it was cancelled now, False if it had already finished.

        An unknown job raises ``PacketFSError`` with code ``NOT_FOUND``.
        """
        try:
            self._json("DELETE", "/v1/jobs/%s" % _quote(job_id))
        except PacketFSError as err:
            if err.code == "CONFLICT":
                return False
            raise
        return True

    def upload_blob(self, data: bytes) -> JSON:
        """Stores bytes in the server's blob store: ``{"blob_id", "size", "crc32c"}``. Use the id as a program's ``blob``."""
        _, body = self._request("PUT", "/v1/blobs", raw=bytes(data), content_type="application/octet-stream")
        return body

    def _json(self, method: str, path: str, payload: Any = None) -> JSON:
        raw = None if payload is None else json.dumps(payload).encode("utf-8")
        _, body = self._request(method, path, raw=raw, content_type=None if raw is None else "application/json")
        return body

    def _request(self, method: str, path: str, raw: Optional[bytes] = None, content_type: Optional[str] = None,
                 timeout: Optional[float] = None) -> Tuple[int, JSON]:
        headers = {"Accept": "application/json"}
        if self.token is not None:
            headers["Authorization"] = "Bearer %s" % self.token
        if content_type is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.base_url + path, data=raw, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return response.status, _parse(response.read(), response.status)
        except urllib.error.HTTPError as err:
            raise _error_from(err.code, err.read()) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise PacketFSError("UNREACHABLE", "cannot reach the PacketFS server at %s: %s" % (self.base_url, reason)) from None


class AsyncClient:
    """The same API as ``Client``, as coroutines (asyncio).

    Requests run in the event loop's default thread pool, so many calls can
    be awaited at once (``asyncio.gather``) without blocking the loop.
    """

    def __init__(self, base_url: str, token: Optional[str] = None, timeout: float = REQUEST_SLACK_S) -> None:
        self._client = Client(base_url, token=token, timeout=timeout)

    @property
    def base_url(self) -> str:
        return self._client.base_url

    async def submit_job(self, job: Mapping[str, Any]) -> str:
        return await self._run(self._client.submit_job, job)

    async def submit_jobs(self, jobs: Sequence[Mapping[str, Any]]) -> List[str]:
        return await self._run(self._client.submit_jobs, jobs)

    async def get_result(self, job_id: str, wait: Optional[float] = None) -> Optional[JSON]:
        return await self._run(self._client.get_result, job_id, wait)

    async def get_job(self, job_id: str) -> JSON:
        return await self._run(self._client.get_job, job_id)

    async def get_metrics(self, limit: Optional[int] = None) -> JSON:
        return await self._run(self._client.get_metrics, limit)

    async def cancel(self, job_id: str) -> bool:
        return await self._run(self._client.cancel, job_id)

    async def upload_blob(self, data: bytes) -> JSON:
        return await self._run(self._client.upload_blob, data)

    async def close(self) -> None:
        """Nothing to release (each call is its own connection); here for ``async with``."""

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @staticmethod
    async def _run(fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args))


def _quote(job_id: str) -> str:
    return urllib.parse.quote(job_id, safe="")


def _parse(raw: bytes, status: int) -> JSON:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PacketFSError("INTERNAL", "unexpected reply HTTP %d: %r" % (status, raw[:200]), status=status) from None
    if not isinstance(body, dict):
        raise PacketFSError("INTERNAL", "unexpected reply HTTP %d: not a JSON object" % status, status=status)
    return body


def _error_from(status: int, raw: bytes) -> PacketFSError:
    """The server's ``{"error": {"code", "message", "path"?}}``, or a description of whatever else came back."""
    try:
        error = json.loads(raw.decode("utf-8")).get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str):
            path = error.get("path")
            return PacketFSError(error["code"], error["message"], path if isinstance(path, str) else None, status)
    except (UnicodeDecodeError, ValueError, AttributeError):
        pass  # not the API's error shape (a proxy in between, say): described below
    return PacketFSError("INTERNAL", "unexpected reply HTTP %d: %r" % (status, raw[:200]), status=status)
