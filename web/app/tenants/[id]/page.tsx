import { notFound } from 'next/navigation';
import { z } from 'zod';
import { requireUser } from '../../../lib/session';
import { TenantView } from './tenant-view';

export default async function TenantPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireUser(`/tenants/${encodeURIComponent(id)}`);
  if (!z.uuid().safeParse(id).success) notFound();
  return <TenantView tenantId={id} />;
}
