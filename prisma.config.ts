// Prisma CLI configuration. Only `prisma generate` / `validate` are used through the CLI:
// migrations run through Prisma's WebAssembly schema engine (prisma/migrate.ts), because the
// native engine cannot be downloaded on the machines we build on.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

const here = path.dirname(fileURLToPath(import.meta.url));
// A stub that fails loudly: `generate` never runs it, and a native migrate command must not silently do nothing.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(here, 'prisma', 'no-native-engine.sh');

export default defineConfig({
  schema: path.join(here, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(here, 'prisma', 'migrations') },
});
