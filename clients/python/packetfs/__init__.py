"""Python client for PacketFS Compute: submit byte-op jobs to a dispatcher and read their results.

    from packetfs import Client
    client = Client("http://127.0.0.1:8080", token=None)
    job_id = client.submit_job({"program": {"op": "crc32c", "data": "MTIzNDU2Nzg5"}})
    print(client.get_result(job_id, wait=10))

``AsyncClient`` has the same methods as coroutines. Standard library only.
"""

from .client import AsyncClient, Client
from .errors import PacketFSError

__all__ = ["AsyncClient", "Client", "PacketFSError"]
__version__ = "0.1.0"
