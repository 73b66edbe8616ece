// Preloaded by the benchmarks: writes the process's peak resident memory (KiB) to
// $CLINSPARK_RSS_FILE when it exits.
'use strict';
const fs = require('fs');
process.on('exit', () => {
  if (process.env.CLINSPARK_RSS_FILE) fs.writeFileSync(process.env.CLINSPARK_RSS_FILE, String(process.resourceUsage().maxRSS));
});
