/**
 * The entry points of every handler: custom resources of the aws-cdk-lib Provider framework
 * (`onEvent`), and plain tasks (Step Functions states, Secrets Manager rotation steps). Each
 * invocation gets a fresh Redactor and a Logger bound to it; every error leaves redacted.
 *
 * Event and response types are @types/aws-lambda's. The handlers read only the fields named
 * below, so a test (or the Provider framework) may leave the others out.
 */
import type { CdkCustomResourceEvent, CdkCustomResourceResponse, CloudFormationCustomResourceEventCommon } from 'aws-lambda';
import { redactInPlace, toHandlerError } from './errors';
import { LogFormat, Logger } from './logger';
import { Redactor } from './redaction';

type FullEvent = CdkCustomResourceEvent<Readonly<Record<string, unknown>>>;

/** What the Provider framework passes to `onEvent`: the fields the handlers use required, the rest optional. */
export type CustomResourceEvent = {
  readonly RequestType: FullEvent['RequestType'];
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  /** Absent on Create. */
  readonly PhysicalResourceId?: string;
  /** Present on Update only. */
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
} & Partial<
  Pick<
    CloudFormationCustomResourceEventCommon,
    'RequestId' | 'LogicalResourceId' | 'StackId' | 'ResourceType' | 'ServiceToken' | 'ResponseURL'
  >
>;

/** What `onEvent` returns. Data values are strings (CloudFormation attributes). */
export type CustomResourceResponse = Required<Pick<CdkCustomResourceResponse<Record<string, string>>, 'PhysicalResourceId'>> &
  Pick<CdkCustomResourceResponse<Record<string, string>>, 'Data'>;

/** What every step of an invocation is given: the redactor to register secrets with, and the logger. */
export interface Invocation {
  readonly redactor: Redactor;
  readonly log: Logger;
}

export type RequestStep = (event: CustomResourceEvent, invocation: Invocation) => Promise<CustomResourceResponse>;

export interface CustomResourceSteps {
  readonly create: RequestStep;
  readonly update: RequestStep;
  readonly delete: RequestStep;
}

/** A fresh redactor and logger for one invocation. */
export function newInvocation(source: string, format: LogFormat = 'text'): Invocation {
  const redactor = new Redactor();
  return { redactor, log: new Logger(source, redactor, format) };
}

/**
 * A custom resource's `onEvent`: Create, Update and Delete to their steps; every error leaves as
 * a HandlerError whose message has been redacted (no password can reach CloudFormation's events
 * or the logs).
 */
export function customResourceHandler(
  source: string,
  steps: CustomResourceSteps,
  options: { format?: LogFormat } = {},
): (event: CustomResourceEvent) => Promise<CustomResourceResponse> {
  return async (event) => {
    const invocation = newInvocation(source, options.format);
    const { log, redactor } = invocation;
    const type = event.RequestType;
    if (log.format === 'json')
      log.info('request', { requestType: type, logicalResourceId: event.LogicalResourceId, physicalResourceId: event.PhysicalResourceId });
    else log.info(`${type} ${event.LogicalResourceId ?? ''} ${event.PhysicalResourceId ?? ''}`.trim());
    try {
      if (type === 'Create') return await steps.create(event, invocation);
      if (type === 'Update') return await steps.update(event, invocation);
      if (type === 'Delete') return await steps.delete(event, invocation);
      throw new Error(`unknown RequestType ${JSON.stringify(type)}`);
    } catch (error) {
      const safe = toHandlerError(error, redactor);
      if (log.format === 'json') log.error('request-failed', { requestType: type, error: safe.message });
      else log.warn(`${type} failed: ${safe.message}`);
      throw safe;
    }
  };
}

/**
 * A task's handler (a Step Functions state, a rotation step): the same error is thrown (its class
 * and name are what the caller's Retry/Catch reads), with its text redacted.
 */
export function taskHandler<E, R, C = unknown>(
  source: string,
  run: (event: E, invocation: Invocation, context: C) => Promise<R>,
  options: { format?: LogFormat; describe?: (event: E) => string; quiet?: (error: Error) => boolean } = {},
): (event: E, context?: C) => Promise<R> {
  return async (event, context) => {
    const invocation = newInvocation(source, options.format);
    if (options.describe) invocation.log.info(options.describe(event));
    try {
      return await run(event, invocation, context as C);
    } catch (error) {
      const safe = redactInPlace(error, invocation.redactor);
      if (!options.quiet?.(safe)) {
        if (invocation.log.format === 'json') invocation.log.error('task-failed', { error: safe.message, name: safe.name });
        else invocation.log.warn(`${options.describe ? `${options.describe(event)} ` : ''}failed: ${safe.message}`);
      }
      throw safe;
    }
  };
}
