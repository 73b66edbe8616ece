/** The JSON Schemas in schema/ are generated from the model; a stale committed copy fails here. */
import * as fs from 'fs';
import * as path from 'path';
import { configJsonSchemas, renderJsonSchema } from '../../lib/config/json-schema';

describe('committed JSON Schemas', () => {
  test.each(Object.entries(configJsonSchemas()))('schema/%s is up to date (regenerate with npm run schema)', (file, schema) => {
    const committed = fs.readFileSync(path.join(__dirname, '..', '..', 'schema', file), 'utf8');
    expect(committed).toBe(renderJsonSchema(schema));
  });

  test('the schema rejects unknown keys and knows every environment kind of a customer', () => {
    const customer = configJsonSchemas()['customer.schema.json'] as {
      additionalProperties: boolean;
      properties: { environments: { properties: object; additionalProperties: boolean } };
    };
    expect(customer.additionalProperties).toBe(false);
    expect(customer.properties.environments.additionalProperties).toBe(false);
    expect(Object.keys(customer.properties.environments.properties).sort()).toEqual(['migration', 'preprod', 'prod', 'sandbox', 'val']);
  });

  test('the example configuration files point editors at the schemas', () => {
    const root = path.join(__dirname, '..', '..', 'config');
    expect(fs.readFileSync(path.join(root, 'platform.yaml'), 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=\.\.\/schema\/platform\.schema\.json/,
    );
    for (const f of fs.readdirSync(path.join(root, 'customers'))) {
      expect(fs.readFileSync(path.join(root, 'customers', f), 'utf8')).toMatch(
        /^# yaml-language-server: \$schema=\.\.\/\.\.\/schema\/customer\.schema\.json/,
      );
    }
  });
});
