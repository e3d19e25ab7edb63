import { notFound } from 'next/navigation';
import { z } from 'zod';
import { requireUser } from '../../../lib/session';
import { RequestView } from './request-view';

export const dynamic = 'force-dynamic';

export default async function AccessRequestPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireUser(`/access/${encodeURIComponent(id)}`);
  if (!z.uuid().safeParse(id).success) notFound();
  return <RequestView id={id} />;
}
