// Entry point of `npm run bench` (package.json runs bench/run.js): runs all benchmarks.
import './run.mjs';
