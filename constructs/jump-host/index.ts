export * from './jump-host';
export * from './host-config';
export * from './ssh-keys';
