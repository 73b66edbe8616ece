/** Writes the JSON Schemas of the configuration files to schema/ (`npm run schema`). */
import * as fs from 'fs';
import * as path from 'path';
import { configJsonSchemas, renderJsonSchema } from '../lib/config/json-schema';

const dir = path.join(__dirname, '..', 'schema');
fs.mkdirSync(dir, { recursive: true });
for (const [file, schema] of Object.entries(configJsonSchemas())) {
  fs.writeFileSync(path.join(dir, file), renderJsonSchema(schema));
  process.stdout.write(`wrote schema/${file}\n`);
}
