#!/usr/bin/env node
// Thin launcher for the compiled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
import { main } from '../dist/entrypoints/cli/main.js';

// Exit explicitly: a stuck worker thread must never keep a finished CLI alive.
process.exit(await main(process.argv.slice(2)));
