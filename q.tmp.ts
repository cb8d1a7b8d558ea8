import { handleComputeRequest } from '/work/main/src/runtimes/worker-core/index.js';
const env = { runtime: 'test', maxBodyBytes: 1e6, maxWindowBytes: 1e6, fetch, token: 't' };
const r = async (body: unknown, h: Record<string,string> = { authorization: 'Bearer t' }) => { const res = await handleComputeRequest(new Request('http://x/compute', { method: 'POST', body: JSON.stringify(body), headers: h }), env); console.log(res.status, await res.text()); };
await r({ job_id: 'a', program: { op: 'crc32c', data: 'MTIzNDU2Nzg5' } });
await r({ jobs: [{ job_id: 'a', program: { op: 'crc32c', data: 'MTIzNDU2Nzg5' } }, { job_id: 'b', program: { op: 'crc', data: '' } }, { job_id: 'c', program: { op: 'xor', data_url: 'http://127.0.0.1:1/x' } }, { job_id: 'd', program: { op: 'xor', data_url: '/v1/blobs/abc' } }, { job_id: 'e', program: { op: 'xor', data_url: 'http://metadata/x' }, state_key: 'k' }] });
await r({ job_id: 'a' }, {});
await r({ job_id: 'a', programm: 1 });
const h = await handleComputeRequest(new Request('http://x/health'), env); console.log(h.status, await h.text());
const m = await handleComputeRequest(new Request('http://x/health', {method:'POST'}), env); console.log(m.status, m.headers.get('allow'), await m.text());
