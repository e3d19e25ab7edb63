import type { Metadata } from 'next';
import { CASE_CATEGORIES } from '../../../domain/cases';
import { categoryLabel } from '../../../domain/notices';
import { ReportForm } from './report-form';

export const metadata: Metadata = { title: 'Report abuse · Safeguard' };

// Public: anyone may report abuse from our address space; the emailed link confirms the address before we act.
export default function ReportPage() {
  return (
    <section style={{ maxWidth: 640 }}>
      <h1>Report abuse</h1>
      <p>
        Tell us about spam, phishing, attacks or other abuse coming from our network. We email you a link to confirm your
        address; the report is processed once you confirm it. Reporting regularly? Ask us for an API key.
      </p>
      <ReportForm categories={CASE_CATEGORIES.map((c) => ({ value: c, label: categoryLabel(c) }))} />
    </section>
  );
}
