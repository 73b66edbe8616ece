/**
 * CIDR rules of the configuration validator: the same implementation the constructs use
 * (constructs/core/cidr.ts), so configuration and constructs refuse exactly the same ranges.
 */
export * from '../../constructs/core/cidr';
