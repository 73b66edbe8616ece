#!/usr/bin/env node
// `npx clinspark <command>`: the project's own CLI (validate, scrub, replica-guide, ...).
// TypeScript sources are transpiled on load by ts-node in its swc transpile-only mode (tsconfig.json
// "ts-node": { "swc": true }: no build step, no type-check; `npm test` type-checks everything once
// with tsc).
'use strict';
require('ts-node').register({ project: require('path').join(__dirname, '..', 'tsconfig.json') });
require('../lib/cli/main')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
