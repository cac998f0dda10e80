// PII masking of vendor messages: the scanner (libs/activation-admin pii-mask.ts) against the
// regular expression it replaced, on the adversarial input of issue #16 (a long run without `@`),
// and on ordinary text with addresses. The former expression is quadratic: it runs on 10 KB and
// 120 KB only (1 MB would take about ten minutes).
//   npm run bench -- pii-mask
import { maskEmail } from '@audiencekit/activation-admin';
import { printTable, timeIt } from './lib/report';

const FORMER_EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const formerMaskEmail = (text: string) => text.replace(FORMER_EMAIL, (_match, first: string, domain: string) => `${first}***@${domain}`);
const SIZES = [10 * 1024, 120 * 1024, 1024 * 1024];
const FORMER_UP_TO = 120 * 1024;

const inputs: Record<string, (bytes: number) => string> = {
  'no @ (adversarial)': (bytes) => 'a'.repeat(bytes),
  'text with addresses': (bytes) => 'refused jane.doe@example.com; '.repeat(Math.ceil(bytes / 30)).slice(0, bytes),
};

async function main(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  for (const [label, make] of Object.entries(inputs)) {
    for (const bytes of SIZES) {
      const text = make(bytes);
      maskEmail(text); // warm-up (JIT), not timed
      const scannerMs = await timeIt(() => maskEmail(text));
      const formerMs = bytes <= FORMER_UP_TO ? await timeIt(() => formerMaskEmail(text)) : undefined;
      rows.push({
        input: label,
        size: `${bytes / 1024} KB`,
        'scanner ms': scannerMs,
        'former regex ms': formerMs ?? 'not run',
        'former / scanner': formerMs === undefined ? '' : (formerMs / scannerMs).toFixed(1),
      });
    }
  }
  printTable(rows);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
