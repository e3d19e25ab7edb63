import { roleAllows } from '../../../domain/roles';
import { requireUser } from '../../lib/session';
import { AUDIT_ROLE, auditRefusal } from '../../server/routers/audit';
import { AuditView } from './audit-view';

export const dynamic = 'force-dynamic';

export default async function AuditPage() {
  const user = await requireUser('/audit');
  return (
    <section>
      <h1>Audit log</h1>
      {roleAllows(user.role, AUDIT_ROLE) ? (
        <AuditView />
      ) : (
        <p role="alert" className="error" data-testid="audit-forbidden">
          {auditRefusal(user.role)}
        </p>
      )}
    </section>
  );
}
