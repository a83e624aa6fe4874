#!/usr/bin/env node
// The strata command: runs the compiled CLI (npm run build makes dist/).
import('../dist/cli/index.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write('strata: the CLI is not built yet; run `npm run build` first\n');
    } else {
      process.stderr.write(`strata: ${err && err.stack ? err.stack : err}\n`);
    }
    process.exit(1);
  });
