"""The one exception the client raises, carrying the server's stable error code."""

from typing import Optional


class PacketFSError(Exception):
    """An error from the PacketFS server, or the server could not be reached.

    ``code`` is stable and meant for branching (``INVALID_JOB``, ``NOT_FOUND``,
    ``UNAUTHORIZED``, ``PAYLOAD_TOO_LARGE``, ``STORE_UNAVAILABLE``,
    ``UNREACHABLE``, ...; see docs/contracts.md and src/errors.ts in the
    repository); ``path`` names the field at fault when there is one, e.g.
    ``program.imm`` or ``jobs[3].timeout_s``; ``status`` is the HTTP status
    (``None`` when no reply came). Codes newer than this client are passed on
    as the server sent them.
    """

    def __init__(self, code: str, message: str, path: Optional[str] = None, status: Optional[int] = None) -> None:
        super().__init__("%s: %s%s" % (code, message, "" if path is None else " (at %s)" % path))
        self.code = code
        self.message = message
        self.path = path
        self.status = status

    def __repr__(self) -> str:
        return "PacketFSError(code=%r, message=%r, path=%r, status=%r)" % (self.code, self.message, self.path, self.status)
