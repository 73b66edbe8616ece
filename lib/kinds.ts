/**
 * The seven environment kinds of DESIGN.md and the owner of vendor stacks: the vocabulary shared
 * by the configuration model (lib/config/) and the environment catalog (lib/catalog.ts), in a
 * module of its own so that neither imports the other for it.
 */
export const ENVIRONMENT_KINDS = ['sandbox', 'migration', 'preprod', 'val', 'prod', 'demo', 'community'] as const;
export type EnvironmentKind = (typeof ENVIRONMENT_KINDS)[number];

/** Kinds a customer file may declare; demo and community belong to the vendor platform. */
export const CUSTOMER_ENVIRONMENT_KINDS = ['sandbox', 'migration', 'preprod', 'val', 'prod'] as const;
export type CustomerEnvironmentKind = (typeof CUSTOMER_ENVIRONMENT_KINDS)[number];
export const PLATFORM_ENVIRONMENT_KINDS = ['demo', 'community'] as const;

/** The owner value of vendor stacks (tag `clinspark:customer`); no customer may use it. */
export const PLATFORM_OWNER = 'platform';
