import { notFound } from 'next/navigation';
import { z } from 'zod';
import { requireUser } from '../../../lib/session';
import { ForensicView } from './forensic-view';

export const dynamic = 'force-dynamic';

export default async function ForensicRequestPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireUser(`/forensics/${encodeURIComponent(id)}`);
  if (!z.uuid().safeParse(id).success) notFound();
  return <ForensicView id={id} />;
}
