/** Vercel's Edge build turns an imported `.wasm?module` file into a compiled WebAssembly.Module. */
declare module '*.wasm?module' {
  const module: WebAssembly.Module;
  export default module;
}
