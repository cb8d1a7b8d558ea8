"""The Python client against a real ``packetfs serve``.

The server's address and token come from PACKETFS_URL and PACKETFS_TOKEN; the
repository's test suite (test/clients/python-client.test.ts) starts the server
and runs ``python3 -m unittest -v`` here. To run by hand:
``packetfs serve --token T`` in one shell, then
``PACKETFS_URL=http://127.0.0.1:8080 PACKETFS_TOKEN=T python3 -m unittest -v`` in clients/python.
"""

import asyncio
import os
import unittest
import uuid

from packetfs import AsyncClient, Client, PacketFSError

URL = os.environ.get("PACKETFS_URL", "http://127.0.0.1:8080")
TOKEN = os.environ.get("PACKETFS_TOKEN")
NINE = "MTIzNDU2Nzg5"  # base64 of b"123456789"
NINE_CRC32C = 3808858755


def unique(prefix: str) -> str:
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


class ClientTest(unittest.TestCase):
    def setUp(self) -> None:
        self.client = Client(URL, token=TOKEN)

    def test_submit_job_and_wait_for_its_result(self) -> None:
        job_id = self.client.submit_job({"program": {"op": "crc32c", "data": NINE}})
        record = self.client.get_result(job_id, wait=20)
        assert record is not None
        self.assertEqual(record["status"], "succeeded")
        self.assertEqual(record["result"], {"crc32c": NINE_CRC32C, "bytes": 9})
        self.assertEqual(self.client.get_job(job_id)["status"], "succeeded")

    def test_the_original_job_fields_and_idempotent_job_ids(self) -> None:
        job = {"job_id": unique("orig"), "program": {"op": "counteq", "imm": 49, "data": NINE},
               "required_memory_mb": 128, "required_duration_seconds": 10, "timeout_seconds": 60, "metadata": {"from": "python"}}
        self.assertEqual(self.client.submit_job(job), job["job_id"])
        self.assertEqual(self.client.submit_job(job), job["job_id"])
        record = self.client.get_result(job["job_id"], wait=20)
        assert record is not None
        self.assertEqual((record["result"], record["attempts"]), ({"count": 1, "bytes": 9}, 1))

    def test_submit_jobs_is_one_batch_in_order(self) -> None:
        ids = self.client.submit_jobs([{"program": {"op": "add", "imm": k, "data": "AAEC"}} for k in range(3)])
        self.assertEqual(len(ids), 3)
        sums = [self.client.get_result(job_id, wait=20)["result"]["sum"] for job_id in ids]  # type: ignore[index]
        self.assertEqual(sums, [3, 6, 9])

    def test_a_bad_job_raises_with_the_stable_code_field_and_status(self) -> None:
        with self.assertRaises(PacketFSError) as caught:
            self.client.submit_job({"program": {"op": "counteq", "imm": 300, "data": NINE}})
        self.assertEqual((caught.exception.code, caught.exception.path, caught.exception.status), ("INVALID_JOB", "program.imm", 400))
        with self.assertRaises(PacketFSError) as batch:
            self.client.submit_jobs([{"program": {"op": "add", "data": ""}}, {"program": {"op": "add", "data": ""}, "prority": 1}])
        self.assertEqual((batch.exception.code, batch.exception.path), ("INVALID_JOB", "jobs[1].prority"))

    def test_unknown_jobs_raise_not_found(self) -> None:
        for call in (lambda: self.client.get_result("no-such-job"), lambda: self.client.get_job("no-such-job"),
                     lambda: self.client.cancel("no-such-job")):
            with self.assertRaises(PacketFSError) as caught:
                call()
            self.assertEqual((caught.exception.code, caught.exception.status), ("NOT_FOUND", 404))

    def test_cancel_a_finished_job_is_false(self) -> None:
        job_id = self.client.submit_job({"program": {"op": "xor", "data": NINE}})
        self.client.get_result(job_id, wait=20)
        self.assertFalse(self.client.cancel(job_id))

    def test_metrics_report_the_jobs(self) -> None:
        job_id = self.client.submit_job({"program": {"op": "fnv64", "data": NINE}})
        self.client.get_result(job_id, wait=20)
        metrics = self.client.get_metrics(limit=1000)
        self.assertIn(job_id, [m["job_id"] for m in metrics["metrics"]])
        self.assertGreaterEqual(metrics["substrates"]["local"]["succeeded"], 1)

    def test_blob_upload_then_a_job_reads_a_window_of_it(self) -> None:
        blob = self.client.upload_blob(b"xx123456789yy")
        self.assertEqual(blob["size"], 13)
        job_id = self.client.submit_job({"program": {"op": "crc32c", "blob": blob["blob_id"], "offset": 2, "length": 9}})
        self.assertEqual(self.client.get_result(job_id, wait=20)["result"]["crc32c"], NINE_CRC32C)  # type: ignore[index]

    def test_a_wrong_token_raises_unauthorized(self) -> None:
        with self.assertRaises(PacketFSError) as caught:
            Client(URL, token="wrong-token").submit_job({"program": {"op": "add", "data": ""}})
        self.assertEqual((caught.exception.code, caught.exception.status), ("UNAUTHORIZED", 401))

    def test_an_unreachable_server_raises_unreachable(self) -> None:
        with self.assertRaises(PacketFSError) as caught:
            Client("http://127.0.0.1:9", timeout=5).get_metrics()
        self.assertEqual((caught.exception.code, caught.exception.status), ("UNREACHABLE", None))

    def test_bad_arguments_are_value_errors(self) -> None:
        with self.assertRaises(ValueError):
            Client("127.0.0.1:8080")
        with self.assertRaises(ValueError):
            self.client.get_result("x", wait=-1)


class AsyncClientTest(unittest.TestCase):
    def test_await_submit_and_results_concurrently(self) -> None:
        async def scenario() -> None:
            async with AsyncClient(URL, token=TOKEN) as client:
                ids = await asyncio.gather(*(client.submit_job({"program": {"op": "counteq", "imm": k, "data": "AAEBAgIC"}}) for k in range(3)))
                records = await asyncio.gather(*(client.get_result(job_id, wait=20) for job_id in ids))
                self.assertEqual([r["result"]["count"] for r in records if r is not None], [1, 2, 3])
                batch = await client.submit_jobs([{"program": {"op": "add", "data": "AQ=="}}])
                self.assertEqual(len(batch), 1)
                self.assertIn("metrics", await client.get_metrics())
                with self.assertRaises(PacketFSError) as caught:
                    await client.cancel("no-such-job")
                self.assertEqual(caught.exception.code, "NOT_FOUND")

        asyncio.run(scenario())


if __name__ == "__main__":
    unittest.main()
