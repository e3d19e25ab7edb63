import { notFound } from 'next/navigation';
import { z } from 'zod';
import { requireUser } from '../../../lib/session';
import { CaseView } from './case-view';

export default async function CasePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireUser(`/cases/${encodeURIComponent(id)}`);
  if (!z.uuid().safeParse(id).success) notFound();
  return <CaseView caseId={id} />;
}
