/**
 * The engine's own JSON.stringify and JSON.parse, captured when this module is evaluated (before
 * pdfjs is loaded: the PDF reader imports it statically).
 *
 * pdfjs-dist's legacy build (the one that runs on Node 20) bundles core-js polyfills, and on an
 * engine without JSON.rawJSON (V8 before 11.4: Node 20) they *replace* the global JSON.stringify
 * and JSON.parse with JavaScript versions that call a reviver or replacer for every value, when
 * pdf.mjs is evaluated and again when its worker module is. Every JSON operation in the process
 * then runs several times slower: checkpoints, audit records, the state machine's copies of its
 * state (measured: 19 ms to stringify one 122 KB extraction instead of about 1 ms). Nothing in
 * docroute or in pdfjs needs raw JSON, so the native functions are put back once pdfjs is loaded.
 */
const nativeStringify = JSON.stringify;
const nativeParse = JSON.parse;

/** Puts the native JSON functions back if something replaced them; true when it had to. */
export const restoreNativeJson = (): boolean => {
  let restored = false;
  if (JSON.stringify !== nativeStringify) {
    JSON.stringify = nativeStringify;
    restored = true;
  }
  if (JSON.parse !== nativeParse) {
    JSON.parse = nativeParse;
    restored = true;
  }
  return restored;
};
