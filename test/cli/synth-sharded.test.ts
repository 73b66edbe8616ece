/** Sharded synthesis splits a fleet's owners into balanced groups, each synthesised by one process. */
import { shardOwners } from '../../scripts/synth-sharded';

describe('shardOwners', () => {
  test('balances the groups by environment count, the largest owner first', () => {
    const groups = shardOwners(
      [
        { name: 'a', weight: 5 },
        { name: 'b', weight: 5 },
        { name: 'c', weight: 2 },
        { name: 'd', weight: 2 },
        { name: 'platform', weight: 3 },
      ],
      2,
    );
    // a 5, b 5, then platform (3) onto the first group, c and d (2 each) onto the second: 8 and 9.
    expect(groups).toEqual([
      ['a', 'platform'],
      ['b', 'c', 'd'],
    ]);
  });

  test('never makes more groups than owners, and every owner lands in exactly one group', () => {
    const owners = Array.from({ length: 7 }, (_, i) => ({ name: `c${i}`, weight: (i % 3) + 1 }));
    for (const jobs of [1, 2, 3, 16]) {
      const groups = shardOwners(owners, jobs);
      expect(groups).toHaveLength(Math.min(jobs, owners.length));
      expect(groups.flat().sort()).toEqual(owners.map((o) => o.name).sort());
    }
  });
});
