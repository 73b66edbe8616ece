// The PII scrub engine (the Lambda handler in ./handler is bundled separately, not exported here).
export * from './engine';
