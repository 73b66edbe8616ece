/**
 * Version of the scrub engine, recorded in evidence and in the run state. Bump it whenever the
 * output for a given key and value changes (SQL of a strategy, dictionaries, key derivation): a
 * run started by one version is never resumed by another.
 */
export const ENGINE_VERSION = '2.1.0';
export const ENGINE_NAME = 'clinspark-pii-scrub';
