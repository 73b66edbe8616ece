/**
 * The AWS regions this project deploys to, and the availability zone names each one has. The
 * configuration never looks zones up (synth is offline), so this table is what tells
 * `eu-west-1z` (refused) from `eu-west-1c` (accepted).
 *
 * Source: AWS documentation, "AWS Regions and Availability Zones" user guide:
 *   - "AWS Availability Zones", the AZ ID table per geography
 *     https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
 *   - "AZ IDs", incl. "Regions with independently mapped Availability Zones"
 *     https://docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html
 * The zone IDs below are the ones those pages list. A zone *name* is the region code plus a
 * letter. In regions opened after November 2012 the names map uniformly to the IDs, so the names
 * are exactly a, b, c... per zone ID. In the older, independently mapped regions (marked
 * `independentlyMapped`) each account created before November 2025 has its own name-to-ID mapping,
 * and some letters exist only in some accounts (us-west-1 accounts see two of a/b/c; older
 * ap-northeast-1 accounts still see 1b): there `names` lists every letter an account can have,
 * and the account's own names are those `aws ec2 describe-availability-zones --region <region>`
 * prints. Note that ca-central-1 has no zone c (its third zone, cac1-az4, is ca-central-1d).
 *
 * Keeping it current: when AWS opens a region or a zone, or a customer needs a region that is not
 * listed, add or update its row from the "AWS Availability Zones" page above (zone IDs and count)
 * and, for the account at hand, from `aws ec2 describe-availability-zones --region <region>
 * --query 'AvailabilityZones[].[ZoneName,ZoneId]'`. Only add regions where Aurora MySQL 3 is
 * offered. test/config/regions.test.ts checks the table's shape (names follow the region code, IDs
 * follow the AZ ID scheme, one name per zone where the mapping is uniform). A region with fewer
 * zones than an environment kind needs (us-west-1: 2, PROD: 3) is refused for that kind by the
 * zones-per-kind rule.
 *
 * Compiled from the pages above on 2026-12-02 (zone IDs cross-checked against describe-availability-zones
 * output published with moto's EC2 zone list).
 */
export interface RegionZones {
  /** AZ IDs as listed by AWS (the same physical zone in every account). */
  readonly zoneIds: readonly string[];
  /** Every zone name an account can have in this region. */
  readonly names: readonly string[];
  /** Region opened before November 2012: zone names map to zone IDs per account. */
  readonly independentlyMapped?: boolean;
}

function zones(region: string, letters: string, ids: readonly string[], independentlyMapped = false): RegionZones {
  return { zoneIds: ids, names: [...letters].map((l) => `${region}${l}`), ...(independentlyMapped ? { independentlyMapped } : {}) };
}

function ids(prefix: string, numbers: readonly number[]): string[] {
  return numbers.map((n) => `${prefix}-az${n}`);
}

export const REGION_ZONES: Readonly<Record<string, RegionZones>> = {
  // North America
  'us-east-1': zones('us-east-1', 'abcdef', ids('use1', [1, 2, 3, 4, 5, 6]), true),
  'us-east-2': zones('us-east-2', 'abc', ids('use2', [1, 2, 3])),
  'us-west-1': zones('us-west-1', 'abc', ids('usw1', [1, 3]), true),
  'us-west-2': zones('us-west-2', 'abcd', ids('usw2', [1, 2, 3, 4]), true),
  'ca-central-1': zones('ca-central-1', 'abd', ids('cac1', [1, 2, 4])),
  // South America
  'sa-east-1': zones('sa-east-1', 'abc', ids('sae1', [1, 2, 3]), true),
  // Europe
  'eu-west-1': zones('eu-west-1', 'abc', ids('euw1', [1, 2, 3]), true),
  'eu-west-2': zones('eu-west-2', 'abc', ids('euw2', [1, 2, 3])),
  'eu-west-3': zones('eu-west-3', 'abc', ids('euw3', [1, 2, 3])),
  'eu-central-1': zones('eu-central-1', 'abc', ids('euc1', [1, 2, 3])),
  'eu-central-2': zones('eu-central-2', 'abc', ids('euc2', [1, 2, 3])),
  'eu-north-1': zones('eu-north-1', 'abc', ids('eun1', [1, 2, 3])),
  'eu-south-1': zones('eu-south-1', 'abc', ids('eus1', [1, 2, 3])),
  'eu-south-2': zones('eu-south-2', 'abc', ids('eus2', [1, 2, 3])),
  // Asia Pacific
  'ap-northeast-1': zones('ap-northeast-1', 'abcd', ids('apne1', [1, 2, 4]), true),
  'ap-northeast-2': zones('ap-northeast-2', 'abcd', ids('apne2', [1, 2, 3, 4])),
  'ap-northeast-3': zones('ap-northeast-3', 'abc', ids('apne3', [1, 2, 3])),
  'ap-southeast-1': zones('ap-southeast-1', 'abc', ids('apse1', [1, 2, 3]), true),
  'ap-southeast-2': zones('ap-southeast-2', 'abc', ids('apse2', [1, 2, 3]), true),
  'ap-south-1': zones('ap-south-1', 'abc', ids('aps1', [1, 2, 3])),
};

export const SUPPORTED_REGIONS: readonly string[] = Object.keys(REGION_ZONES);

/** Where the table lives, for error messages. */
export const REGION_TABLE_FILE = 'lib/config/regions.ts';
