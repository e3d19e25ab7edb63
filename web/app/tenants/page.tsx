import { requireUser } from '../../lib/session';
import { AddressLookup } from './address-lookup';
import { TenantList } from './tenant-list';

export default async function TenantsPage() {
  await requireUser('/tenants');
  return (
    <section data-testid="tenants-page">
      <h1>Tenants</h1>
      <AddressLookup />
      <TenantList />
    </section>
  );
}
