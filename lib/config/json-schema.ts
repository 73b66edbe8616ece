/**
 * JSON Schemas of the configuration files, generated from the same zod model as the validator.
 * `npm run schema` writes them to schema/; a test fails when the committed files are stale.
 * The cross-field rules of rules.ts cannot be expressed in JSON Schema: editors check shape,
 * `npx clinspark validate` checks everything.
 */
import { z } from 'zod';
import { scrubRulesJsonSchema } from '../../constructs/pii-scrub/engine/rules';
import { customerSchema, platformSchema } from './model';
import { releaseLedgerSchema } from './releases';

function toSchema(schema: z.ZodType, id: string): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...json, $id: id };
}

/** File name (under schema/) -> JSON Schema. */
export function configJsonSchemas(): Record<string, Record<string, unknown>> {
  return {
    'customer.schema.json': toSchema(customerSchema, 'https://clinspark.invalid/schema/customer.schema.json'),
    'platform.schema.json': toSchema(platformSchema, 'https://clinspark.invalid/schema/platform.schema.json'),
    'releases.schema.json': toSchema(releaseLedgerSchema, 'https://clinspark.invalid/schema/releases.schema.json'),
    'scrub-rules.schema.json': scrubRulesJsonSchema(),
  };
}

export function renderJsonSchema(schema: Record<string, unknown>): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
