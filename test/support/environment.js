/**
 * The jest test environment of the suite: Node's, plus one engine of CDK's built-in template
 * validator per jest worker, shared by every test file that worker runs.
 *
 * Why. aws-cdk-lib validates templates with `@aws/cloudformation-validate` (WASM). Building its
 * engine costs 3 to 5 CPU seconds (the engine compiles its rules and resource schemas; the package
 * README: "Engines are expensive to construct (rules compile once) and cheap to reuse"); validating
 * a template afterwards costs milliseconds to a second. Jest gives every test file its own module
 * registry, so each file that synthesises anything built an engine of its own: most of the
 * validator's share of the suite's CPU time. A `cdk synth` pays it once per process.
 *
 * How. This module is loaded by Node, not through jest's registry, so what it holds lives as long
 * as the worker process. jest.config.js maps `@aws/cloudformation-validate` to
 * test/support/shared-validator.ts, which hands CDK's plugin (unchanged, in the test's registry) a
 * CompositeEngine whose validateTemplate calls `validate` below. `validate` builds the real
 * engine of the package once per configuration (the same JSON configuration CDK passes, parsed
 * here so that the package sees objects of its own realm, as its plain-object checks require) and
 * validates the template with the options CDK passes. The report crosses back as JSON.
 *
 * CDK itself reuses one engine for every template of a synthesis, and for the next synthesis
 * when the resource types are a subset of the engine's; here the engine is reused across files
 * only for the identical configuration (the rules CDK selected), so no rule is added or removed.
 */
const path = require('path');
const { TestEnvironment } = require('jest-environment-node');

const VALIDATE_MODULE = require.resolve('@aws/cloudformation-validate', {
  paths: [path.dirname(require.resolve('aws-cdk-lib/package.json'))],
});

/** Engines by configuration (JSON), for the life of the worker, and how many were ever built. */
const engines = new Map();
let built = 0;
let loaded;
/** The package, loaded by Node once per worker. */
const validateModule = () => (loaded ??= require(VALIDATE_MODULE));

/**
 * Validates one template with the engine of `configJson`, built on first use; returns the
 * package's report as JSON. An engine that throws is dropped (a trapped WASM instance must not
 * serve the next file) and the error is rethrown as the package's message.
 */
function validate(configJson, name, content, optionsJson) {
  const { CompositeEngine, TemplateContent } = validateModule();
  let engine = engines.get(configJson);
  if (!engine) {
    engine = new CompositeEngine(JSON.parse(configJson));
    engines.set(configJson, engine);
    built++;
  }
  try {
    return JSON.stringify(engine.validateTemplate(new TemplateContent(content, name), JSON.parse(optionsJson)));
  } catch (e) {
    engines.delete(configJson);
    try {
      engine.free();
    } catch {
      // already unusable
    }
    throw new Error(String((e && e.message) || e), { cause: e });
  }
}

/** How many engines this worker has built, dropped ones included (the shared-validator test reads it). */
function enginesBuilt() {
  return built;
}

class ClinSparkTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global.__clinsparkSharedValidator = {
      modulePath: VALIDATE_MODULE,
      validate,
      enginesBuilt,
      version: () => validateModule().version(),
    };
  }
}

module.exports = ClinSparkTestEnvironment;
