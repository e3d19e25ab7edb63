import { requireUser } from '../../lib/session';
import { DetectionsView } from './detections-view';

export default async function DetectionsPage() {
  await requireUser('/detections');
  return (
    <section data-testid="detections-page">
      <h1>Detections</h1>
      <DetectionsView />
    </section>
  );
}
