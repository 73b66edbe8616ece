/**
 * What `@aws/cloudformation-validate` resolves to inside jest (jest.config.js moduleNameMapper):
 * the package, except that a CompositeEngine validates with the engine the jest worker holds for
 * the same configuration (test/support/environment.js), built once per worker instead of once per
 * test file. CDK's CloudFormationValidatePlugin (aws-cdk-lib/core/lib/validation) runs unchanged;
 * of the package it uses `CompositeEngine`, `TemplateContent` and `version`, and every other
 * export is the package's own. Outside that environment this module is the package itself.
 */
/* global TextEncoder, TextDecoder */
const shared = globalThis.__clinsparkSharedValidator;

/** The package itself in this test file's registry (by path: the mapping is for the bare name only). */
function real() {
  return require(
    shared
      ? shared.modulePath
      : require.resolve('aws-cdk-lib/package.json').replace(/package\.json$/, 'node_modules/@aws/cloudformation-validate'),
  );
}

if (!shared) {
  module.exports = real();
} else {
  /** The package's TemplateContent contract: template text or bytes, and the name it is reported under. */
  class TemplateContent {
    constructor(content, name = 'template') {
      if (typeof content !== 'string' && !(content instanceof Uint8Array))
        throw new TypeError('template content must be a string or a Uint8Array');
      this.content = content;
      this.name = name;
    }

    readBytes() {
      return typeof this.content === 'string' ? new TextEncoder().encode(this.content) : this.content;
    }
  }

  /** Plain JSON data only: what crosses to the worker's engine is its JSON text. */
  const isJson = (value) => {
    // undefined: an absent option (JSON leaves the key out; the package reads both as unset).
    if (value === null || value === undefined || ['string', 'number', 'boolean'].includes(typeof value)) return true;
    if (Array.isArray(value)) return value.every(isJson);
    if (typeof value !== 'object') return false;
    const proto = Object.getPrototypeOf(value);
    return (proto === Object.prototype || proto === null) && Object.values(value).every(isJson);
  };

  /** A CompositeEngine of the package, held by the worker: free() leaves it to the worker. */
  class CompositeEngine {
    constructor(config = {}) {
      if (!isJson(config)) throw new TypeError('shared-validator: a CompositeEngine configuration must be plain JSON data');
      this.configJson = JSON.stringify(config);
    }

    validateTemplate(template, options = {}) {
      if (!(template instanceof TemplateContent)) throw new TypeError('shared-validator: templates must be TemplateContent');
      if (!isJson(options)) throw new TypeError('shared-validator: validation options must be plain JSON data');
      const text = typeof template.content === 'string' ? template.content : new TextDecoder().decode(template.content);
      return JSON.parse(shared.validate(this.configJson, template.name, text, JSON.stringify(options)));
    }

    free() {
      // The worker's engine outlives this object (test/support/environment.js).
    }
  }

  const own = { CompositeEngine, TemplateContent, version: () => shared.version() };
  module.exports = new Proxy(own, { get: (target, key) => (key in target ? target[key] : real()[key]) });
}
