/**
 * The raw single-statement equivalent of a plan's masks, for the benchmark only
 * (`npm run bench:scrub`): one `UPDATE` per masked table that computes every masked value from
 * the keyed hash of the value in place (no originals table, no batches, no checkpoint, no
 * verification), and one `TRUNCATE` per truncated table. Same output as the engine for the same
 * key (the HMAC pads must be installed in the session, see installKey).
 */
import type { ScrubPlan } from './plan';
import { T, columnSql } from './strategies';
import { quoteIdentifier } from './sql';

export interface RawStatement {
  readonly table: string;
  readonly sql: string;
}

export function rawUpdateStatements(plan: ScrubPlan): RawStatement[] {
  const out: RawStatement[] = [];
  for (const t of plan.tables) {
    if (t.action === 'truncate') {
      out.push({ table: t.table, sql: `TRUNCATE TABLE ${t.ref}` });
      continue;
    }
    if (t.action !== 'mask' || t.masked.length === 0) continue;
    const sqls = t.masked.map((m) => columnSql(t, m));
    const sets = [
      ...sqls.map((c) => `${c.ref} = ${c.newValue}`),
      ...t.onUpdateColumns.map((c) => `${T}.${quoteIdentifier(c)} = ${T}.${quoteIdentifier(c)}`),
    ];
    out.push({ table: t.table, sql: `UPDATE ${t.ref} ${T} SET ${sets.join(', ')}` });
  }
  return out;
}
