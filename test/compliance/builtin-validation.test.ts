/**
 * The threaded built-in validator splits the templates into contiguous groups and merges the
 * groups' reports as one call over every template merges its diagnostics.
 */
import { PolicyValidationPluginReport, PolicyViolation } from 'aws-cdk-lib';
import { contiguousGroups, mergeReports, validationThreads } from '../../lib/builtin-validation';

const resource = (id: string) => ({ resourceLogicalId: id, templatePath: `${id}.json`, locations: [] });
const violation = (ruleName: string, severity: string, ...ids: string[]): PolicyViolation => ({
  ruleName,
  description: `${ruleName} happened`,
  severity,
  violatingResources: ids.map(resource),
});
const report = (...violations: PolicyViolation[]): PolicyValidationPluginReport => ({ success: true, violations });

test('groups are contiguous, in order, cover every item and are about equal in size', () => {
  const items = ['a', 'b', 'c', 'd', 'e', 'f'];
  const groups = contiguousGroups(items, [10, 10, 10, 10, 10, 10], 2);
  expect(groups).toEqual([
    ['a', 'b', 'c'],
    ['d', 'e', 'f'],
  ]);
  expect(contiguousGroups(items, [50, 1, 1, 1, 1, 1], 2)).toEqual([['a'], ['b', 'c', 'd', 'e', 'f']]);
  expect(contiguousGroups(['a'], [1], 3)).toEqual([['a']]);
  expect(contiguousGroups(items, [1, 1, 1, 1, 1, 1], 4).flat()).toEqual(items);
});

test('reports merge like consecutive templates: same rule, severity and description add their resources, new ones follow in order', () => {
  const merged = mergeReports([
    report(violation('W1', 'warning', 'A1'), violation('E1', 'error', 'A2')),
    report(violation('W2', 'warning', 'B1'), violation('W1', 'warning', 'B2', 'B3')),
  ]);
  expect(merged.violations.map((v) => [v.ruleName, v.violatingResources.map((r) => r.resourceLogicalId)])).toEqual([
    ['W1', ['A1', 'B2', 'B3']],
    ['E1', ['A2']],
    ['W2', ['B1']],
  ]);
  expect(merged.success).toBe(false);
  expect(mergeReports([report(violation('W1', 'warning', 'A1'))]).success).toBe(true);
});

test('CLINSPARK_VALIDATION_THREADS sets the workers; 0 leaves the validator to CDK; nonsense is refused', () => {
  expect(validationThreads({ CLINSPARK_VALIDATION_THREADS: '0' })).toBe(0);
  expect(validationThreads({ CLINSPARK_VALIDATION_THREADS: '3' })).toBe(3);
  expect(validationThreads({})).toBeGreaterThanOrEqual(1);
  expect(() => validationThreads({ CLINSPARK_VALIDATION_THREADS: 'many' })).toThrow(/whole number/);
});
