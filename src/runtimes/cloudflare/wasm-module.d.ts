/** workerd (and wrangler) turn an imported .wasm file into a compiled WebAssembly.Module. */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
