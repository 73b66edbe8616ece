/** Runs under a deadline, resumed across connections; failures midway; the lock. */
import { ScrubBusyError, ScrubFailedError, ScrubOutcome, ScrubRules, parseScrubRules, runScrub } from '../../constructs/pii-scrub';
import { RULES_YAML } from './fixtures/volunteers';
import { Dump, FixtureDb, KEY_A, KEY_B, connectTo, dumpDatabase, fixtureDb, tableNames } from './support';

const RULES = parseScrubRules(RULES_YAML, 'volunteers.rules.yaml');

function dataOf(dump: Dump): Dump {
  return Object.fromEntries(Object.entries(dump).filter(([t]) => !t.startsWith('_clinspark_scrub')));
}

/** One call as the Lambda job makes it: a fresh connection, a deadline that is already due. */
async function oneCall(db: FixtureDb, runId: string, rules: ScrubRules = RULES, key = KEY_A): Promise<ScrubOutcome> {
  const conn = await connectTo(db.name);
  try {
    return await runScrub({ connection: conn, database: db.name, rules, key, runId, batchSize: 50, deadline: Date.now() });
  } finally {
    await conn.end();
  }
}

describe('resumable PII scrub', () => {
  test('a run under a deadline stops between batches and, resumed call after call, ends exactly like a one-shot run', async () => {
    const [stepwise, oneShot] = await Promise.all([fixtureDb('scrub_resume', 15), fixtureDb('scrub_oneshot', 15)]);
    try {
      // GIVEN the same data scrubbed in one call on one copy
      const whole = await runScrub({ connection: oneShot.conn, database: oneShot.name, rules: RULES, key: KEY_A, runId: 'one-shot' });
      expect(whole.complete).toBe(true);
      // WHEN the other copy is scrubbed one unit of work per call
      let outcome = await oneCall(stepwise, 'stepwise');
      let calls = 1;
      const stepsSeen = new Set<string>();
      while (!outcome.complete) {
        stepsSeen.add(outcome.step.split(':')[0]);
        const [state] = await stepwise.conn.query("SELECT status FROM _clinspark_scrub_state WHERE run_id = 'stepwise'");
        expect(state).toEqual([{ status: 'running' }]);
        outcome = await oneCall(stepwise, 'stepwise');
        calls += 1;
        if (calls > 200) throw new Error('the run does not progress');
      }
      // THEN it took many calls through every kind of step, and the data is the same
      expect(calls).toBeGreaterThan(25);
      expect([...stepsSeen].sort()).toEqual(['cleanup', 'mask', 'scan', 'truncate', 'verify', 'verify-foreign-keys', 'verify-row-counts']);
      expect(outcome.evidence).toMatchObject({ status: 'succeeded', invocations: calls, verification: { passed: true } });
      expect(dataOf(await dumpDatabase(stepwise.conn, stepwise.name))).toEqual(dataOf(await dumpDatabase(oneShot.conn, oneShot.name)));
    } finally {
      await Promise.all([stepwise.close(), oneShot.close()]);
    }
  });

  test('a run is only resumed with the same key and rules', async () => {
    const db = await fixtureDb('scrub_resume_key', 5);
    try {
      expect((await oneCall(db, 'keyed')).complete).toBe(false);
      await expect(oneCall(db, 'keyed', RULES, KEY_B)).rejects.toThrow(
        "run 'keyed' cannot be resumed: the key changed; start a new run on a fresh copy of the database",
      );
      const otherRules = parseScrubRules(
        RULES_YAML.replace('      notes: null', '      notes: { strategy: fixed, value: "-" }'),
        'volunteers.rules.yaml',
      );
      await expect(oneCall(db, 'keyed', otherRules)).rejects.toThrow(
        /cannot be resumed: the rules changed, the schema or the plan changed/,
      );
      // The refused calls did not spoil the run.
      const done = await runScrub({ connection: db.conn, database: db.name, rules: RULES, key: KEY_A, runId: 'keyed' });
      expect(done.complete && done.evidence.status).toBe('succeeded');
    } finally {
      await db.close();
    }
  });

  test('a failure midway gives a clear error and evidence of what was done, and the failed run is not resumed', async () => {
    const db = await fixtureDb('scrub_failure', 5);
    try {
      // GIVEN rules that mask contacts, then put one fixed address in the UNIQUE e-mail column of volunteers
      const columns = [
        'id',
        'volunteer_number',
        'first_name',
        'middle_name',
        'last_name',
        'date_of_birth',
        'sex',
        'email',
        'phone',
        'address_line',
        'city',
        'postal_code',
        'country',
        'national_id',
        'notes',
        'registered_at',
        'updated_at',
        'status',
      ];
      const yaml = [
        'version: 1',
        'tables:',
        '  contacts:',
        '    columns: { id: keep, volunteer_id: keep, full_name: { strategy: pseudonym, ' +
          'kind: fullName }, relationship: keep, email: email, phone: phone }',
        '  volunteers:',
        '    columns:',
        ...columns.map((c) => `      ${c}: ${c === 'email' ? '{ strategy: fixed, value: "same.for.all@example.invalid" }' : 'keep'}`),
        '  visits: keep',
        '  lab_results: keep',
        '  audit_events: keep',
        '  studies: keep',
      ].join('\n');
      const rules = parseScrubRules(yaml, 'failing.rules.yaml');
      const before = await dumpDatabase(db.conn, db.name);
      // WHEN it runs
      const error = await runScrub({ connection: db.conn, database: db.name, rules, key: KEY_A, runId: 'failing', batchSize: 1000 }).catch(
        (e: unknown) => e,
      );
      // THEN the error says which step failed and why, without the value
      expect(error).toBeInstanceOf(ScrubFailedError);
      const failed = error as ScrubFailedError;
      expect(failed.message).toBe(
        'scrub failed in step mask:volunteers: database error 1062 ER_DUP_ENTRY: a value ' +
          "would be duplicated in unique index 'uq_volunteer_email' (value withheld)",
      );
      // AND the evidence records the steps completed and where it stopped
      expect(failed.evidence).toMatchObject({
        status: 'failed',
        error: failed.message,
        runId: 'failing',
        stepInProgress: { step: 'mask', table: 'volunteers', rowsDone: 0 },
      });
      expect(failed.evidence.steps.map((s) => `${s.step}:${s.table}`)).toEqual(['mask:contacts']);
      expect(failed.evidence.verification).toBeUndefined();
      const published = JSON.stringify(failed.evidence);
      expect(published).not.toContain('same.for.all');
      for (const row of before.volunteers) if (row.email) expect(published).not.toContain(row.email);
      // AND the batch that failed was rolled back; the completed step stays applied
      const after = await dumpDatabase(db.conn, db.name);
      expect(after.volunteers).toEqual(before.volunteers);
      expect(after.contacts.map((c) => c.email)).not.toEqual(before.contacts.map((c) => c.email));
      // AND the originals are dropped, the state says failed, and the run cannot be resumed
      expect(await tableNames(db.conn, db.name)).toEqual([
        '_clinspark_scrub_state',
        'audit_events',
        'contacts',
        'lab_results',
        'studies',
        'visits',
        'volunteers',
      ]);
      const [state] = await db.conn.query("SELECT status, error_message FROM _clinspark_scrub_state WHERE run_id = 'failing'");
      expect(state).toEqual([{ status: 'failed', error_message: failed.message }]);
      await expect(runScrub({ connection: db.conn, database: db.name, rules, key: KEY_A, runId: 'failing' })).rejects.toThrow(
        `run 'failing' failed: ${failed.message}`,
      );
    } finally {
      await db.close();
    }
  });

  test('verification fails the run when an original value is back, or a row escaped the snapshot', async () => {
    const db = await fixtureDb('scrub_verify_fail', 5);
    try {
      const before = await dumpDatabase(db.conn, db.name);
      const advanceTo = async (step: string) => {
        for (let i = 0; i < 200; i++) {
          const o = await oneCall(db, 'tampered');
          if (o.complete) throw new Error('completed too early');
          if (o.step === step) return;
        }
        throw new Error(`never reached ${step}`);
      };
      // GIVEN a run that has masked the first batch of volunteers
      await advanceTo('mask:volunteers');
      await oneCall(db, 'tampered');
      await db.conn.query(
        'INSERT INTO volunteers (volunteer_number, first_name, last_name, sex, email, ' +
          "registered_at) VALUES ('V-LATE', 'Latecomer', 'Person', 'F', " +
          "'late.person@realmail.example.net', '2024-01-01')",
      );
      // AND, once volunteers are masked, one original address and one original surname come back
      await advanceTo('mask:visits');
      const zoe = before.volunteers[0];
      await db.conn.query('UPDATE volunteers SET email = ?, last_name = ? WHERE id = 1', [zoe.email, zoe.last_name]);
      // AND originals of masks the batch UPDATE computes in place (null, partial, generalize) come back too
      await db.conn.query('UPDATE volunteers SET notes = ?, postal_code = ?, date_of_birth = ? WHERE id = 1', [
        zoe.notes,
        zoe.postal_code,
        zoe.date_of_birth,
      ]);
      // WHEN the run goes on to verification
      let error: unknown;
      try {
        for (let i = 0; i < 200; i++) if ((await oneCall(db, 'tampered')).complete) break;
      } catch (e) {
        error = e;
      }
      // THEN it fails, naming every check that caught something
      expect(error).toBeInstanceOf(ScrubFailedError);
      const message = (error as ScrubFailedError).message;
      expect(message).toContain('verification failed: ');
      expect(message).toContain('volunteers.last_name: 1 row(s) do not hold the value masked from their original (changed after masking)');
      expect(message).toContain('volunteers.email: 1 row(s) do not hold the value masked from their original (changed after masking)');
      expect(message).toContain(`volunteers: ${before.volunteers.length} row(s) before, ${before.volunteers.length + 1} after`);
      for (const c of ['notes', 'postal_code', 'date_of_birth'])
        expect(message).toContain(`volunteers.${c}: 1 row(s) still hold their original value`);
      const evidence = (error as ScrubFailedError).evidence;
      expect(evidence.verification?.passed).toBe(false);
      expect(JSON.stringify(evidence)).not.toContain(String(zoe.email));
      expect(await tableNames(db.conn, db.name)).not.toContain('_clinspark_scrub_orig_1');
    } finally {
      await db.close();
    }
  });

  test('a new run abandons an unfinished one (its originals are dropped) and the old run id is refused', async () => {
    const db = await fixtureDb('scrub_abandon', 3);
    try {
      for (let i = 0; i < 3; i++) expect((await oneCall(db, 'first')).complete).toBe(false);
      const second = await runScrub({ connection: db.conn, database: db.name, rules: RULES, key: KEY_A, runId: 'second' });
      expect(second.complete && second.evidence.status).toBe('succeeded');
      const [runs] = await db.conn.query('SELECT run_id, status FROM _clinspark_scrub_state ORDER BY run_id');
      expect(runs).toEqual([
        { run_id: 'first', status: 'abandoned' },
        { run_id: 'second', status: 'succeeded' },
      ]);
      await expect(oneCall(db, 'first')).rejects.toThrow("run 'first' was abandoned (a newer run started)");
      expect((await tableNames(db.conn, db.name)).filter((t) => t.startsWith('_clinspark_scrub'))).toEqual(['_clinspark_scrub_state']);
    } finally {
      await db.close();
    }
  });

  test('while another scrub holds the database lock, a call changes nothing and says so', async () => {
    const db = await fixtureDb('scrub_busy', 3);
    const other = await connectTo(db.name);
    try {
      await other.query('SELECT GET_LOCK(?, 0)', [`clinspark_scrub:${db.name}`]);
      const before = await dumpDatabase(db.conn, db.name);
      await expect(runScrub({ connection: db.conn, database: db.name, rules: RULES, key: KEY_A, runId: 'busy' })).rejects.toThrow(
        ScrubBusyError,
      );
      expect(await dumpDatabase(db.conn, db.name)).toEqual(before);
    } finally {
      await other.end();
      await db.close();
    }
  });
});
