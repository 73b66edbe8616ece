#!/usr/bin/env node
/**
 * Regenerates constructs/database/aurora-mysql-parameters.json, the committed table of Aurora MySQL
 * cluster- and instance-level parameters with their modifiability, from the Markdown source of the
 * Amazon Aurora User Guide page "Aurora MySQL configuration parameters"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Reference.ParameterGroups.html,
 * source file doc_source/AuroraMySQL.Reference.ParameterGroups.md of github.com/awsdocs/amazon-aurora-user-guide).
 *
 *   node scripts/dev/aurora-parameter-table.js <path to AuroraMySQL.Reference.ParameterGroups.md> <source label>
 *
 * Not run by the tests (the guide is not available offline); the tests read the committed JSON.
 * When AWS adds or changes a parameter that this project sets, re-run it on the current page and
 * review the diff of the JSON like any other change.
 */
const fs = require('fs');
const path = require('path');

const [, , input, sourceLabel] = process.argv;
if (!input || !sourceLabel) {
  process.stderr.write('usage: node scripts/dev/aurora-parameter-table.js <AuroraMySQL.Reference.ParameterGroups.md> <source label>\n');
  process.exit(2);
}
const text = fs.readFileSync(input, 'utf8');
const unescape = (s) => s.replace(/\\(.)/g, '$1').replace(/\s+/g, ' ').trim();

function section(startAnchor, endAnchor) {
  const start = text.indexOf(startAnchor);
  const end = text.indexOf(endAnchor, start + 1);
  if (start < 0 || end < 0) throw new Error(`section ${startAnchor} not found`);
  return text.slice(start, end);
}

/** Modifiability in Aurora MySQL version 3, from the guide's "Modifiable" column and its notes. */
function v3Modifiable(modifiable, notes) {
  const m = modifiable.toLowerCase();
  if (/version 3: no/.test(m)) return 'no';
  if (/only at cluster creation time \(aurora mysql version 3\)/.test(m)) return 'at-creation';
  if (m === 'yes' || m === 'modifiable') return 'yes';
  if (m === 'no') return 'no';
  if (m === 'sometimes' && /modifiable in aurora mysql version 2 and higher/i.test(notes)) return 'yes';
  if (m === 'sometimes') return 'sometimes';
  throw new Error(`unknown modifiability '${modifiable}'`);
}

/** False when the notes say the parameter does not exist in (or is not used by) Aurora MySQL version 3. */
function inV3(notes) {
  if (/removed from aurora mysql version 3/i.test(notes)) return false;
  if (/isn't supported for version 3/i.test(notes)) return false;
  if (/currently not available in aurora mysql version 3/i.test(notes)) return false;
  if (
    /this parameter applies to aurora mysql version 2\.(?! and)/i.test(notes) &&
    !/version 3/i.test(notes.replace(/applies to aurora mysql version 2\./i, ''))
  )
    return false;
  return true;
}

function rows(level, body) {
  const out = [];
  for (const line of body.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length < 3) continue;
    const name = unescape(cells[0]).replace(/`/g, '').trim();
    if (name === '' || /^-+$/.test(name) || name.toLowerCase() === 'parameter name') continue;
    const modifiable = unescape(cells[1]);
    const notes = unescape(cells.slice(2).join('|')).replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    out.push({ name, level, modifiable, v3: { exists: inV3(notes), modifiable: v3Modifiable(modifiable, notes) }, notes });
  }
  return out;
}

const cluster = rows('cluster', section('## Cluster\\-level parameters', '## Instance\\-level parameters'));
const instance = rows('instance', section('## Instance\\-level parameters', "## MySQL parameters that don't apply"));
const table = {
  source: {
    title: 'Amazon Aurora User Guide: Aurora MySQL configuration parameters',
    url: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Reference.ParameterGroups.html',
    file: 'doc_source/AuroraMySQL.Reference.ParameterGroups.md',
    revision: sourceLabel,
    generatedBy: 'scripts/dev/aurora-parameter-table.js',
  },
  parameters: [...cluster, ...instance],
};
const outFile = path.join(__dirname, '..', '..', 'constructs', 'database', 'aurora-mysql-parameters.json');
fs.writeFileSync(outFile, `${JSON.stringify(table, null, 2)}\n`);
process.stdout.write(`${outFile}: ${cluster.length} cluster-level and ${instance.length} instance-level parameters\n`);
