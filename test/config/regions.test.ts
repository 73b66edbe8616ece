/**
 * The committed availability zone table (lib/config/regions.ts) and the one SSH key parser shared
 * by the configuration rules and the jump host construct.
 */
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { parseSshPublicKey } from '../../constructs/jump-host/ssh-keys';
import { CATALOG } from '../../lib/catalog';
import { REGION_ZONES, SUPPORTED_REGIONS } from '../../lib/config/regions';
import { ENVIRONMENT_KINDS, sshPublicKeySchema } from '../../lib/config/model';

const knownRegions = new Set(RegionInfo.regions.map((r) => r.name));

describe('availability zone table', () => {
  test.each(SUPPORTED_REGIONS)('%s: a known region, zone names and ids follow AWS naming', (region) => {
    const row = REGION_ZONES[region];
    expect(knownRegions).toContain(region);
    expect(row.names.length).toBeGreaterThanOrEqual(row.zoneIds.length);
    expect(new Set(row.names).size).toBe(row.names.length);
    for (const name of row.names) expect(name).toMatch(new RegExp(`^${region}[a-z]$`));
    // AZ ID: first letters of each part of the region code, its number, -az<n> (AWS "AZ IDs").
    const [geo, direction, n] = region.split('-');
    const initials = direction.replace(
      /^(north|south|east|west|central)(east|west)?$/,
      (_, a: string, b?: string) => a[0] + (b ? b[0] : ''),
    );
    const prefix = `${geo}${initials}${n}`;
    for (const id of row.zoneIds) expect(id).toMatch(new RegExp(`^${prefix}-az\\d$`));
    // Uniformly mapped regions have exactly one name per zone.
    if (!row.independentlyMapped) expect(row.names.length).toBe(row.zoneIds.length);
  });

  test('the example fleet and the validation fixtures use regions of the table', () => {
    expect(SUPPORTED_REGIONS).toEqual(expect.arrayContaining(['us-east-1', 'eu-west-1']));
  });

  test('every kind of the catalog fits at least one zone count of the table', () => {
    const widest = Math.max(...ENVIRONMENT_KINDS.map((k) => CATALOG[k].network.maxAzs));
    expect(SUPPORTED_REGIONS.filter((r) => REGION_ZONES[r].zoneIds.length >= widest).length).toBeGreaterThan(10);
  });

  test('known irregular regions: ca-central-1 has no zone c, us-west-1 has two zones', () => {
    expect(REGION_ZONES['ca-central-1'].names).toEqual(['ca-central-1a', 'ca-central-1b', 'ca-central-1d']);
    expect(REGION_ZONES['us-west-1'].zoneIds).toHaveLength(2);
    expect(REGION_ZONES['eu-west-1'].names).not.toContain('eu-west-1z');
  });
});

describe('SSH public keys: one parser for configuration and construct', () => {
  const ed25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHtestkeytestkeytestkeytestkeytestkeytestkey bi@customer';
  const truncated = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHtestkeytestkeytest';

  test('what the construct accepts, the configuration accepts', () => {
    expect(parseSshPublicKey(ed25519).ok).toBe(true);
    expect(sshPublicKeySchema.safeParse(ed25519).success).toBe(true);
  });

  test("what the construct refuses, the configuration refuses with the construct's reason", () => {
    const parsed = parseSshPublicKey(truncated);
    expect(parsed.ok).toBe(false);
    const result = sshPublicKeySchema.safeParse(truncated);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0].message).toContain(parsed.ok ? '' : parsed.error);
  });
});
