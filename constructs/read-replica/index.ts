export * from './credentials';
export * from './read-replica';
