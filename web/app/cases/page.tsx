import { requireUser } from '../../lib/session';
import { CasesQueue } from './cases-queue';

export default async function CasesPage() {
  await requireUser('/cases');
  return (
    <section>
      <h1>Abuse cases</h1>
      <CasesQueue />
    </section>
  );
}
