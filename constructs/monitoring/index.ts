export * from './alarm-topic';
export * from './environment-monitoring';
export * from './max-connections';
export * from './observability-link';
export * from './support-role';
export * from './thresholds';
