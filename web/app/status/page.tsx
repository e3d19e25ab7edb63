import { requireUser } from '../../lib/session';
import { StatusPanel } from './status-panel';

export default async function StatusPage() {
  await requireUser('/status');
  return (
    <section>
      <h1>System status</h1>
      <StatusPanel />
    </section>
  );
}
