export * from './model';
export * from './issues';
export * from './load';
export * from './cidr';
export * from './windows';
export { SEMANTIC_RULES } from './rules';
