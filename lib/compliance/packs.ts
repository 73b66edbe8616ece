/**
 * The compliance gate: cdk-nag 3 packs (AWS Solutions, HIPAA Security, NIST 800-53 rev 5) plus
 * this project's own rules, registered as CDK policy-validation plugins so that every synth runs
 * them and fails on any finding that is not acknowledged at finding level.
 *
 * Why cdk-nag 3 (and not 2.38): acknowledgements use CDK's own `Validations.of(scope).acknowledge`
 * and are recorded in the cloud assembly; each finding must be acknowledged individually (there
 * is no prefix or bulk suppression to misuse); the packs run once on the final construct tree as
 * a validation plugin instead of as aspects whose order matters. What 3.x lacks, a log of every
 * rule evaluated, is added by ComplianceRecorder.
 */
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, IApplyRule, NagMessageLevel, NagPack, NagPackProps, NIST80053R5Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { threadedBuiltinValidation } from '../builtin-validation';
import { ComplianceRecorder } from './recorder';
import { imdsv2Required } from './rules/imdsv2-required';
import { noOpenAdminPorts } from './rules/no-open-admin-ports';
import { statefulProtected } from './rules/stateful-protected';
import { valScrubbed } from './rules/val-scrubbed';

/** This project's own rules, written like cdk-nag rules (one pure function per file). */
export class ClinSparkChecks extends NagPack {
  readonly name = 'ClinSpark';
  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'ClinSpark';
  }

  protected checkResource(node: CfnResource): void {
    this.applyRule({
      ruleSuffixOverride: 'NoOpenAdminPorts',
      info: 'A security group rule opens SSH (22), MySQL (3306) or all ports to 0.0.0.0/0 or ::/0.',
      explanation:
        'Administrative and database ports are reachable only from named ranges (customer CIDRs, the jump host, the application).',
      level: NagMessageLevel.ERROR,
      rule: noOpenAdminPorts,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'Imdsv2Required',
      info: 'An EC2 instance, launch template or launch configuration does not require IMDSv2 session tokens.',
      explanation:
        'Instance metadata and the role credentials in it are reachable only with a ' +
        'session token, so a request forgery on the host cannot read them.',
      level: NagMessageLevel.ERROR,
      rule: imdsv2Required,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'ValScrubbed',
      info:
        'A database cluster of a VAL environment is not restored from the scrubbed ' +
        'snapshot of a PII scrub run (after its wait condition), or copies its source ' +
        'directly.',
      explanation:
        'VAL is a copy of production data; volunteer PII is scrubbed and verified before ' +
        'any person or application can reach it (DESIGN.md).',
      level: NagMessageLevel.ERROR,
      rule: valScrubbed,
      node,
    });
    this.applyRule({
      ruleSuffixOverride: 'StatefulProtected',
      info:
        'A stateful resource would be deleted with its stack, or a database lacks ' +
        'deletion protection, although the environment catalog keeps its data.',
      explanation:
        'Persistent and change-controlled data is never destroyed by a stack update or deletion (DESIGN.md, security and safety defaults).',
      level: NagMessageLevel.ERROR,
      rule: statefulProtected,
      node,
    });
  }
}

type PackClass = new (scope?: IConstruct, props?: NagPackProps) => NagPack;

/**
 * An instance of a pack whose every rule records its outcome into `recorder`: the pack's
 * (protected) applyRule is wrapped on the instance, so each pack stays the library's own class.
 */
function recorded(Pack: PackClass, recorder: ComplianceRecorder, scope?: IConstruct): NagPack {
  const pack = new Pack(scope);
  const open = pack as unknown as { applyRule(params: IApplyRule): void };
  const applyRule = open.applyRule.bind(pack);
  open.applyRule = (params) => applyRule(recorder.wrap(pack.readPackName, params));
  return pack;
}

/**
 * Tells the recorder, before any resource is evaluated, which rules each pack applies (each pack's
 * checkResource on a probe resource, with applyRule only registering the rule): the recorder then
 * wraps every rule once and knows which rule functions several packs share.
 */
function census(packs: NagPack[], recorder: ComplianceRecorder): void {
  const probe = new CfnResource(new Stack(new App({ autoSynth: false }), 'Census'), 'Probe', { type: 'ClinSpark::Census::Probe' });
  for (const pack of packs) {
    const open = pack as unknown as { applyRule: (params: IApplyRule) => void; checkResource: (node: CfnResource) => void };
    const applyRule = open.applyRule;
    open.applyRule = (params) => void recorder.wrap(pack.readPackName, params);
    try {
      open.checkResource(probe);
    } finally {
      open.applyRule = applyRule;
    }
  }
}

/** The packs of the gate, each recording into `recorder`. */
export function compliancePacks(recorder: ComplianceRecorder, scope?: IConstruct): NagPack[] {
  const packs = [AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, ClinSparkChecks].map((Pack) =>
    recorded(Pack, recorder, scope),
  );
  census(packs, recorder);
  return packs;
}

/**
 * Registers the gate on an app; returns the recorder that the report is written from. CDK's
 * built-in template validator runs in worker threads beside the synthesis and the packs
 * (lib/builtin-validation.ts): the same validator and report, each template validated as soon as
 * its stack is written (and any not handed over yet when the first pack starts).
 */
export function enableComplianceGate(app: App): ComplianceRecorder {
  const recorder = new ComplianceRecorder();
  const packs = compliancePacks(recorder, app);
  const validator = threadedBuiltinValidation(app);
  if (validator) {
    const first = packs[0];
    const validate = first.validate.bind(first);
    first.validate = (context) => {
      validator.start(context.stackTemplates);
      return validate(context);
    };
  }
  Validations.of(app).addPlugins(...packs, ...(validator ? [validator] : []));
  return recorder;
}

/**
 * Runs the packs directly on a scope (tests): returns the recorder, whose `failures()` are the
 * findings that would fail the synth.
 */
export function evaluateCompliance(scope: IConstruct): ComplianceRecorder {
  const recorder = new ComplianceRecorder();
  for (const pack of compliancePacks(recorder)) pack.validateScope(scope);
  return recorder;
}
