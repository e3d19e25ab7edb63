import { requireUser } from '../../../lib/session';
import { RequestForm } from './request-form';

export const dynamic = 'force-dynamic';

export default async function NewAccessRequestPage() {
  await requireUser('/access/new');
  return (
    <section>
      <h1>Request access</h1>
      <RequestForm />
    </section>
  );
}
