/**
 * Problems found in a rules file, alone or against the live schema. Printed like the fleet
 * configuration's problems (lib/config/issues.ts): `<rules file>: <path>: <problem and fix>`,
 * every problem collected and reported together.
 *
 * Both use constructs/core/file-issues.ts: constructs (and the Lambda bundle built from them)
 * never depend on the app layer.
 */

import { FileIssue, PathSegment, closestMatch, formatIssue } from '../../core/file-issues';

export type RulesPathSegment = PathSegment;

/** A problem of a rules file: `file` is the rules file as the user named it. */
export type RulesIssue = FileIssue;

export const formatRulesIssue = formatIssue;

/**
 * A rules file that cannot be used: bad YAML, bad shape, or rules that do not fit the database.
 * Carries every problem found; nothing has been written to the database when it is thrown.
 */
export class ScrubRulesError extends Error {
  constructor(readonly issues: readonly RulesIssue[]) {
    super(
      `${issues.length} problem${issues.length === 1 ? '' : 's'} in the scrub ` +
        `rules:\n${issues.map((i) => `  ${formatRulesIssue(i)}`).join('\n')}`,
    );
    this.name = 'ScrubRulesError';
  }
}

/** `" (did you mean 'x'?)"` when a candidate is close to the input, else `''`. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const best = closestMatch(input, candidates);
  return best ? ` (did you mean '${best}'?)` : '';
}

export { describeValue } from '../../core/file-issues';
