// The embedded engine uses Promise.withResolvers (Node 22); load the polyfill as production does.
import '../src/orchestration/local/polyfills.js';
