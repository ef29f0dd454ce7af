#!/usr/bin/env node
// The `fedops` command of a clone (`npx fedops`, the root package.json's bin): runs the built CLI,
// tools/cli/dist/main.js. This file is committed so that the bin exists before anything is built:
// npm links a package's bins only when their files exist, and npx keeps what it linked.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist', 'main.js');
if (!existsSync(main)) {
  process.stderr.write(
    `fedops: the command line is not built yet (${main} is missing).\n` +
      `Build it from the repository root with: npm run build\n`,
  );
  process.exit(1);
}
require(main);
