import { IConstruct } from 'constructs';

/**
 * A construct was given props it cannot honour. The message names the prop, the value given and
 * the fix; the construct path says which construct (and so which environment) is at fault.
 */
export class ClinSparkPropsError extends Error {
  constructor(scope: IConstruct, message: string) {
    super(`${scope.node.path}: ${message}`);
    this.name = 'ClinSparkPropsError';
  }
}
