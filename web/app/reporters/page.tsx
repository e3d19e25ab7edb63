import { roleAllows } from '../../../domain/roles';
import { requireUser } from '../../lib/session';
import { ReportersView } from './reporters-view';

export default async function ReportersPage() {
  const user = await requireUser('/reporters');
  return (
    <section>
      <h1>Reporters and API keys</h1>
      {roleAllows(user.role, 'admin') ? (
        <ReportersView />
      ) : (
        <p role="alert" className="error" data-testid="reporters-forbidden">
          Managing reporters and their API keys needs the admin role; you are {user.role}.
        </p>
      )}
    </section>
  );
}
