/**
 * CDK's built-in CloudFormation template validator (`@aws/cloudformation-validate`, WASM), run in
 * worker threads while the app synthesises and the compliance gate runs, instead of after the
 * gate on the main thread.
 *
 * The validator is the largest single cost of a fleet synth (about a third of it), and CDK runs
 * it after the cdk-nag packs, on one thread. This plugin is CDK's own `CloudFormationValidatePlugin`
 * (a subclass: same name, same engine, same rules and options, so CDK treats it as the built-in
 * one: its findings are errors under `@aws-cdk/core:validateAgainstDefaultRules`, acknowledgements
 * apply, and CDK adds no second copy). Each worker builds its engine when the plugin is created,
 * for the resource types of the app's construct tree (the validator chooses its rules by resource
 * type). Each stack's template is handed to a worker as soon as the stack's synthesizer has written
 * it, and validated there (`CloudFormationValidatePlugin.validate` on that one template) while the
 * main thread writes the next stacks and runs the packs. When CDK calls `validate` with the
 * templates of the assembly, a template whose stack, file, account and region are what the worker
 * validated, unchanged on disk since, keeps that report; any other is validated then. The reports
 * are merged in CDK's template order exactly as one call over every template merges them, so the
 * validation report is byte for byte the same.
 *
 * `CLINSPARK_VALIDATION_THREADS=<n>` sets the number of workers (default: one core less than the
 * machine has, 1 to 3); `0` leaves the validator to CDK, on the main thread. A worker that fails
 * hands its templates back to the main thread, which validates them as CDK would.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'worker_threads';
import {
  App,
  CfnResource,
  CloudFormationValidatePlugin,
  IPolicyValidationContext,
  ISynthesisSession,
  PolicyValidationPluginReport,
  PolicyValidationStack,
  PolicyViolation,
  Stack,
  Token,
} from 'aws-cdk-lib';

/**
 * The worker: loads CDK's plugin (by file, not aws-cdk-lib's index), builds its engine, validates
 * each template it is handed ({ template, key }), and at the end ({ end: [{ stack, key }] in CDK's
 * order }) replies with one report per stack, reusing those it made for the same key (stackKey) and
 * unchanged file.
 */
const WORKER_SOURCE = `
const fs = require('fs');
const { workerData, parentPort } = require('worker_threads');
const { CloudFormationValidatePlugin } = require(workerData.pluginModule);
const plugin = new CloudFormationValidatePlugin();
// The engine is built for a set of resource types (the rules that apply to them) and built again by
// validate() for a template with a type outside that set: keep the set the union of all seen.
const types = new Set(workerData.resourceTypes);
const canPrepare = typeof plugin.initializeEngine === 'function';
if (canPrepare) plugin.initializeEngine(types);
const stamp = (file) => { try { const st = fs.statSync(file); return st.size + ':' + st.mtimeMs; } catch { return 'missing'; } };
const made = new Map();
function validateOne(stack) {
  const before = stamp(stack.templatePath);
  if (canPrepare) {
    const resources = JSON.parse(fs.readFileSync(stack.templatePath, 'utf8')).Resources ?? {};
    const unseen = Object.values(resources).map((r) => r && r.Type).filter((t) => typeof t === 'string' && !types.has(t));
    if (unseen.length > 0) { for (const t of unseen) types.add(t); plugin.initializeEngine(types); }
  }
  return { stamp: before, report: plugin.validate({ stackTemplates: [stack], templatePaths: [stack.templatePath] }) };
}
parentPort.on('message', (message) => {
  if (message.template) {
    try { made.set(message.key, validateOne(message.template)); } catch { /* validated again at the end */ }
    Atomics.add(workerData.done, 1, 1);
    Atomics.notify(workerData.done, 1);
    return;
  }
  let reply;
  try {
    let reused = 0;
    const reports = message.end.map(({ stack, key }) => {
      const earlier = made.get(key);
      if (earlier && earlier.stamp === stamp(stack.templatePath)) { reused++; return earlier.report; }
      return validateOne(stack).report;
    });
    reply = { reports, reused };
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
  /** [0]: 1 once the worker has replied to the end; [1]: how many templates handed over it has validated. */
  readonly done: Int32Array;
  /** How many templates were handed to this worker. */
  handed: number;
  /** Bytes of the templates handed to this worker so far (each goes to the least loaded). */
  bytes: number;
}

/** One stack as CDK's validation context names it (templatePath, construct path, account, region). */
const stackKey = (s: PolicyValidationStack) =>
  JSON.stringify([s.stackConstructPath, s.templatePath, s.accountId ?? null, s.region ?? null]);

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

/**
 * Merges the reports of consecutive templates (or groups of them) in order, as
 * CloudFormationValidatePlugin merges the diagnostics of consecutive templates: a violation with the
 * same rule, severity and description as an earlier one adds its resources to it.
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
  /** The worker each stack handed over so far went to, by stackKey. */
  private readonly handedTo = new Map<string, Job>();
  /** How many reports the last validate() took from the workers' earlier validation of the same stack. */
  reused = 0;

  /**
   * @param threads the number of worker threads (at least 1)
   * @param resourceTypes the CloudFormation resource types of the app (its construct tree's
   *   `CfnResource`s): each worker builds its engine for them while the app synthesises
   */
  constructor(threads: number, resourceTypes: readonly string[] = []) {
    super();
    const pluginModule = path.join(
      path.dirname(require.resolve('aws-cdk-lib/package.json')),
      'core',
      'lib',
      'validation',
      'cloudformation-validate-plugin.js',
    );
    this.jobs = Array.from({ length: Math.max(1, threads) }, () => {
      const { port1, port2 } = new MessageChannel();
      const done = new Int32Array(new SharedArrayBuffer(8));
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { pluginModule, port: port2, done, resourceTypes: [...resourceTypes] },
        transferList: [port2],
      });
      worker.unref();
      port1.unref();
      return { worker, port: port1, done, handed: 0, bytes: 0 };
    });
  }

  /**
   * Hands each top-level stack's template to a worker as soon as the stack's synthesizer has
   * written it (the synthesizer's synthesize(), wrapped), with the construct path, file, account and
   * region CDK's validation context will name it by.
   */
  watch(stacks: Iterable<Stack>): void {
    for (const stack of stacks) {
      if (stack.nested) continue;
      const synthesizer = stack.synthesizer;
      const synthesize = synthesizer.synthesize.bind(synthesizer);
      synthesizer.synthesize = (session: ISynthesisSession) => {
        synthesize(session);
        this.handOver({
          stackConstructPath: stack.node.path,
          templatePath: path.join(session.outdir, stack.templateFile),
          accountId: Token.isUnresolved(stack.account) ? undefined : stack.account,
          region: Token.isUnresolved(stack.region) ? undefined : stack.region,
        });
      };
    }
  }

  /** Hands one stack's template to the least loaded worker (once per stack); the worker and the stack's key. */
  private handOver(stack: PolicyValidationStack): { job: Job; key: string } {
    const key = stackKey(stack);
    const earlier = this.handedTo.get(key);
    if (earlier) return { job: earlier, key };
    const job = this.jobs.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    job.bytes += fs.statSync(stack.templatePath, { throwIfNoEntry: false })?.size ?? 1;
    this.handedTo.set(key, job);
    job.handed++;
    job.worker.postMessage({ template: stack, key });
    return { job, key };
  }

  /**
   * Waits (blocking, at most `timeoutMs`) until the workers have validated every template handed
   * over so far; whether they have. validate() does not need it (it waits for the workers' replies).
   */
  settle(timeoutMs = WORKER_TIMEOUT_MS): boolean {
    const deadline = Date.now() + timeoutMs;
    for (const job of this.jobs) {
      for (let seen = Atomics.load(job.done, 1); seen < job.handed; seen = Atomics.load(job.done, 1)) {
        const left = deadline - Date.now();
        if (left <= 0 || Atomics.wait(job.done, 1, seen, left) === 'timed-out') return false;
      }
    }
    return true;
  }

  /**
   * Hands over the templates not handed over yet (idempotent): called when the first compliance
   * pack starts, so that they are validated while the packs run.
   */
  start(stackTemplates: readonly PolicyValidationStack[]): void {
    for (const stack of stackTemplates) this.handOver(stack);
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const order = context.stackTemplates;
    const byJob = new Map<Job, number[]>();
    const keys = order.map((stack, i) => {
      const { job, key } = this.handOver(stack);
      const indices = byJob.get(job);
      if (indices) indices.push(i);
      else byJob.set(job, [i]);
      return key;
    });
    for (const [job, indices] of byJob) job.worker.postMessage({ end: indices.map((i) => ({ stack: order[i], key: keys[i] })) });
    const reports: PolicyValidationPluginReport[] = new Array<PolicyValidationPluginReport>(order.length);
    this.reused = 0;
    for (const [job, indices] of byJob) {
      // A worker that dies without replying (it cannot, short of the process running out of memory)
      // is given up on after WORKER_TIMEOUT_MS and its templates are validated here.
      const reply =
        Atomics.wait(job.done, 0, 0, WORKER_TIMEOUT_MS) === 'timed-out'
          ? undefined
          : (receiveMessageOnPort(job.port)?.message as
              { reports?: PolicyValidationPluginReport[]; reused?: number; error?: string } | undefined);
      if (reply?.reports && reply.reports.length === indices.length) {
        indices.forEach((i, n) => (reports[i] = reply.reports![n]));
        this.reused += reply.reused ?? 0;
      } else {
        process.stderr.write(
          `clinspark: template validation worker failed (${reply?.error ?? 'no reply'}); validating its templates here\n`,
        );
        for (const i of indices)
          reports[i] = super.validate({ ...context, stackTemplates: [order[i]], templatePaths: [order[i].templatePath] });
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
 * off, or `CLINSPARK_VALIDATION_THREADS=0`), watching the app's stacks (each template is handed
 * to a worker when its stack is written). Build the app's stacks first; register it with
 * `Validations.of(app).addPlugins` after the compliance packs and call `start` when the first pack
 * begins.
 */
export function threadedBuiltinValidation(app: App): ThreadedCloudFormationValidatePlugin | undefined {
  if (!builtinValidationEnabled(app)) return undefined;
  const threads = validationThreads();
  if (threads === 0) return undefined;
  // One walk of the tree: the resource types the engines are built for, and the stacks to watch.
  const types = new Set<string>();
  const stacks: Stack[] = [];
  for (const c of app.node.findAll()) {
    if (CfnResource.isCfnResource(c)) types.add(c.cfnResourceType);
    else if (Stack.isStack(c)) stacks.push(c);
  }
  const plugin = new ThreadedCloudFormationValidatePlugin(threads, [...types].sort());
  plugin.watch(stacks);
  return plugin;
}
