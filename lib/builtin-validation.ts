/**
 * CDK's built-in CloudFormation template validator (`@aws/cloudformation-validate`, WASM), run in
 * worker threads beside the compliance gate instead of after it on the main thread.
 *
 * The validator is the largest single cost of a fleet synth (about a third of it), and CDK runs
 * it after the cdk-nag packs, on one thread. This plugin is CDK's own `CloudFormationValidatePlugin`
 * (a subclass: same name, same engine, same rules and options, so CDK treats it as the built-in
 * one: its findings are errors under `@aws-cdk/core:validateAgainstDefaultRules`, acknowledgements
 * apply, and CDK adds no second copy): the templates are split into contiguous groups, each group
 * is validated by `CloudFormationValidatePlugin.validate` in a worker thread, and the groups'
 * violations are merged in template order exactly as one call over every template merges them,
 * so the validation report is byte for byte the same. The workers start loading the engine when
 * the plugin is created, are handed the templates when the first compliance pack begins (the
 * templates are written by then), and validate while the packs run on the main thread.
 *
 * `CLINSPARK_VALIDATION_THREADS=<n>` sets the number of workers (default: one core less than the
 * machine has, 1 to 3); `0` leaves the validator to CDK, on the main thread. A worker that fails hands its group
 * back to the main thread, which validates it as CDK would.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'worker_threads';
import {
  App,
  CloudFormationValidatePlugin,
  IPolicyValidationContext,
  PolicyValidationPluginReport,
  PolicyValidationStack,
  PolicyViolation,
} from 'aws-cdk-lib';

/** The worker: loads CDK's plugin (by file, not aws-cdk-lib's index), validates the group it is handed. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('worker_threads');
const { CloudFormationValidatePlugin } = require(workerData.pluginModule);
const plugin = new CloudFormationValidatePlugin();
parentPort.once('message', (stackTemplates) => {
  let reply;
  try {
    const report = plugin.validate({ stackTemplates, templatePaths: stackTemplates.map((s) => s.templatePath) });
    reply = { report };
  } catch (e) {
    reply = { error: String((e && e.stack) || e) };
  }
  workerData.port.postMessage(reply);
  Atomics.store(workerData.done, 0, 1);
  Atomics.notify(workerData.done, 0);
  parentPort.close();
  workerData.port.close();
});
`;

const WORKER_TIMEOUT_MS = 30 * 60 * 1000;

interface Job {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly done: Int32Array;
  templates?: PolicyValidationStack[];
}

/**
 * How many validation workers: CLINSPARK_VALIDATION_THREADS, else one core less than the machine
 * has (the main thread runs the packs meanwhile), at least 1 and at most 3. Each worker holds an
 * engine of its own (about 150 MB).
 */
export function validationThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CLINSPARK_VALIDATION_THREADS;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`CLINSPARK_VALIDATION_THREADS must be a whole number >= 0 (got '${raw}')`);
    return n;
  }
  return Math.max(1, Math.min(3, os.availableParallelism() - 1));
}

/** Splits templates into at most `groups` contiguous groups of about equal size (bytes). */
export function contiguousGroups<T>(items: readonly T[], sizes: readonly number[], groups: number): T[][] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const out: T[][] = [];
  let current: T[] = [];
  let acc = 0;
  for (let i = 0; i < items.length; i++) {
    current.push(items[i]);
    acc += sizes[i];
    const remainingItems = items.length - i - 1;
    const remainingGroups = groups - out.length - 1;
    if (remainingGroups > 0 && remainingItems >= remainingGroups && acc >= (total * (out.length + 1)) / groups) {
      out.push(current);
      current = [];
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Merges the reports of contiguous groups of templates in order, as CloudFormationValidatePlugin
 * merges the diagnostics of consecutive templates: a violation with the same rule, severity and
 * description as an earlier one adds its resources to it.
 */
export function mergeReports(reports: readonly PolicyValidationPluginReport[]): PolicyValidationPluginReport {
  const violations: PolicyViolation[] = [];
  for (const report of reports) {
    for (const v of report.violations) {
      const existing = violations.find((e) => e.ruleName === v.ruleName && e.severity === v.severity && e.description === v.description);
      if (existing) existing.violatingResources.push(...v.violatingResources);
      else violations.push({ ...v, violatingResources: [...v.violatingResources] });
    }
  }
  return { success: violations.every((v) => v.severity !== 'error' && v.severity !== 'fatal'), violations };
}

export class ThreadedCloudFormationValidatePlugin extends CloudFormationValidatePlugin {
  private readonly jobs: Job[];

  constructor(threads: number) {
    super();
    const pluginModule = path.join(
      path.dirname(require.resolve('aws-cdk-lib/package.json')),
      'core',
      'lib',
      'validation',
      'cloudformation-validate-plugin.js',
    );
    this.jobs = Array.from({ length: threads }, () => {
      const { port1, port2 } = new MessageChannel();
      const done = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { pluginModule, port: port2, done }, transferList: [port2] });
      worker.unref();
      port1.unref();
      return { worker, port: port1, done };
    });
  }

  /** Hands the templates to the workers (idempotent): called when the first compliance pack starts. */
  start(stackTemplates: readonly PolicyValidationStack[]): void {
    if (this.jobs.some((j) => j.templates)) return;
    const sizes = stackTemplates.map((s) => (fs.existsSync(s.templatePath) ? fs.statSync(s.templatePath).size : 1));
    const groups = contiguousGroups(stackTemplates, sizes, this.jobs.length);
    for (const [i, job] of this.jobs.entries()) {
      job.templates = groups[i] ?? [];
      job.worker.postMessage(job.templates);
    }
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    this.start(context.stackTemplates);
    const reports: PolicyValidationPluginReport[] = [];
    for (const job of this.jobs) {
      const templates = job.templates ?? [];
      if (templates.length === 0) continue;
      // A worker that dies without replying (it cannot, short of the process running out of memory)
      // is given up on after WORKER_TIMEOUT_MS and its templates are validated here.
      const reply =
        Atomics.wait(job.done, 0, 0, WORKER_TIMEOUT_MS) === 'timed-out'
          ? undefined
          : (receiveMessageOnPort(job.port)?.message as { report?: PolicyValidationPluginReport; error?: string } | undefined);
      if (reply?.report) reports.push(reply.report);
      else {
        process.stderr.write(
          `clinspark: template validation worker failed (${reply?.error ?? 'no reply'}); validating its templates here\n`,
        );
        reports.push(super.validate({ ...context, stackTemplates: templates, templatePaths: templates.map((t) => t.templatePath) }));
      }
    }
    return mergeReports(reports);
  }
}

/** Whether CDK would run its built-in validator on this app (App prop and `cdk synth --no-validation`). */
function builtinValidationEnabled(app: App): boolean {
  return (
    (app as unknown as { _builtinCloudFormationValidation?: boolean })._builtinCloudFormationValidation !== false &&
    process.env.CDK_VALIDATION !== 'false'
  );
}

/**
 * The threaded built-in validator for `app`, or undefined when CDK's own should run (validation
 * off, or `CLINSPARK_VALIDATION_THREADS=0`). Register it with `Validations.of(app).addPlugins`
 * after the compliance packs and call `start` when the first pack begins.
 */
export function threadedBuiltinValidation(app: App): ThreadedCloudFormationValidatePlugin | undefined {
  if (!builtinValidationEnabled(app)) return undefined;
  const threads = validationThreads();
  return threads > 0 ? new ThreadedCloudFormationValidatePlugin(threads) : undefined;
}
