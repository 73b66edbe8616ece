export * from './engine';
export * from './evidence';
export * from './issues';
export * from './key';
export * from './plan';
export * from './rules';
export * from './verify';
export * from './version';
export { domainHmacNode, domainHmacSql, hmacSql, installKey, uninstallKey } from './sql';
