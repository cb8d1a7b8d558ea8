import { PacketFSBrowserCompute } from './browser-compute.js';

/**
 * Entry of /browser-runtime.js, the classic-<script> bundle: sets the
 * global `PacketFSBrowserCompute`. The script's own URL is read while it
 * runs (document.currentScript is null later) so workers load beside it.
 */
const script = typeof document === 'object' ? document.currentScript : null;
if (script instanceof HTMLScriptElement && script.src !== '') PacketFSBrowserCompute.scriptUrl = script.src;
(globalThis as { PacketFSBrowserCompute?: typeof PacketFSBrowserCompute }).PacketFSBrowserCompute = PacketFSBrowserCompute;
