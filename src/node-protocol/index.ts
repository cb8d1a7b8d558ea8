/**
 * Node protocol v1 (docs/protocol.md): the one module the dispatcher
 * (src/substrates/node-pool/, src/server/routes/nodes-ws.ts), the browser
 * runtime (src/runtimes/browser/) and the Node volunteer
 * (src/runtimes/node-volunteer/) import their message types, bounds and
 * parsers from. Runtime-neutral: no Node imports, bundled for browsers.
 */
export * from './messages.js';
export { encodeMessage, parseDispatcherMessage, parseNodeMessage, ProtocolViolation } from './parse.js';
