#!/usr/bin/env node
// `npx clinspark <command>`: the project's own CLI (validate, scrub, replica-guide, ...).
// TypeScript sources are transpiled on load by @swc-node/register (no build step, no type-check;
// `npm test` type-checks everything once with tsc).
'use strict';
require('@swc-node/register');
require('../lib/cli/main')
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; });
