import type { Command } from 'commander';
import { required } from '../lib/config';

export function registerDbCommands(program: Command): void {
  const dbCmd = program.command('db').description('database schema');
  dbCmd
    .command('migrate')
    .description('apply pending migrations to DATABASE_URL')
    .action(async () => {
      const { applyMigrations } = await import('../prisma/migrate');
      const { applied } = await applyMigrations(required('DATABASE_URL'));
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    });
}
