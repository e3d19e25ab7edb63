import { requireUser } from '../../../lib/session';
import { SecurityView } from './security-view';

export const dynamic = 'force-dynamic';

export default async function SecurityPage() {
  await requireUser('/account/security');
  return (
    <section>
      <h1>Security</h1>
      <p className="muted">
        Your second factors. Requesting and approving access asks you to confirm it is you with one of them. A security key is
        the strongest; an authenticator app is the fallback; recovery codes get you back in when both are lost.
      </p>
      <SecurityView />
    </section>
  );
}
