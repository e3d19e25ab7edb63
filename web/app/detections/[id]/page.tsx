import { notFound } from 'next/navigation';
import { z } from 'zod';
import { requireUser } from '../../../lib/session';
import { FindingView } from './finding-view';

export default async function FindingPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireUser(`/detections/${encodeURIComponent(id)}`);
  if (!z.uuid().safeParse(id).success) notFound();
  return <FindingView findingId={id} />;
}
