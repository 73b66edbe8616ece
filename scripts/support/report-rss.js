// Preloaded by the benchmarks (also through NODE_OPTIONS, into every node process of a synth):
// appends the process's peak resident memory (KiB) to $CLINSPARK_RSS_FILE when it exits, one
// line a process; the benchmark takes the largest.
'use strict';
const fs = require('fs');
const { isMainThread } = require('worker_threads');
if (isMainThread)
  process.on('exit', () => {
    if (process.env.CLINSPARK_RSS_FILE) fs.appendFileSync(process.env.CLINSPARK_RSS_FILE, `${process.resourceUsage().maxRSS}\n`);
  });
