import { version } from '../../version.js';

/**
 * The volunteer app's Service Worker (/volunteer-sw.js, scope /volunteer):
 * what makes /volunteer installable and gives it an offline page. It is its
 * own file, separate from the compute worker (/packetfs-sw.js, which answers
 * POST /execute), and the two never share a cache.
 *   install   caches the app shell: the page, the offline page, manifest,
 *             icons and the runtime bundles
 *   fetch     page loads go to the network first (the page must be current)
 *             and fall back to the offline page; the shell's other files
 *             answer from the cache and refresh it in the background;
 *             everything else (the /v1 API, the node socket) passes through
 *   activate  drops caches of other versions
 */
interface ExtendableEvent extends Event { waitUntil(p: Promise<unknown>): void }
interface FetchEvent extends ExtendableEvent { request: Request; respondWith(r: Response | Promise<Response>): void }
interface SwScope {
  location: Location;
  clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (e: FetchEvent) => void): void;
}
const sw = globalThis as unknown as SwScope;

const CACHE_PREFIX = 'packetfs-volunteer-app-';
const CACHE = `${CACHE_PREFIX}${version}`;
const OFFLINE = '/volunteer/offline';
const SHELL = ['/volunteer', OFFLINE, '/volunteer.webmanifest', '/volunteer/icon-192.png', '/volunteer/icon-512.png',
  '/browser-runtime.js', '/packetfs-worker.js'];
const shellUrls = new Set(SHELL.map((path) => new URL(path, sw.location.origin).href));

sw.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => sw.skipWaiting()));
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => sw.clients.claim()));
});

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  if (request.mode === 'navigate') {
    event.respondWith(pageOrOffline(request));
    return;
  }
  const url = request.url.split(/[?#]/)[0]!;
  if (shellUrls.has(url)) event.respondWith(cachedThenRefresh(event, url));
});

async function pageOrOffline(request: Request): Promise<Response> {
  try {
    // revalidate past the HTTP cache: offline must show the offline page, not a copy the HTTP cache still holds
    const response = await fetch(request.url, { cache: 'no-cache', credentials: 'same-origin' });
    if (response.ok && new URL(request.url).pathname === '/volunteer') {
      const cache = await caches.open(CACHE);
      await cache.put('/volunteer', response.clone());
    }
    return response;
  } catch {
    const offline = await caches.match(OFFLINE);
    return offline ?? new Response('offline', { status: 503, headers: { 'content-type': 'text/plain' } });
  }
}

async function cachedThenRefresh(event: FetchEvent, url: string): Promise<Response> {
  const cache = await caches.open(CACHE);
  const refresh = fetch(event.request).then(async (response) => {
    if (response.ok) await cache.put(url, response.clone());
    return response;
  });
  const cached = await cache.match(url);
  if (cached === undefined) return refresh;
  event.waitUntil(refresh.catch(() => undefined));
  return cached;
}
