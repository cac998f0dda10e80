// The orchestration and quiz demo (issues #23 and #24), run by `npm start` after the segment
// language demo, through the admin and tracking APIs only:
//   - a priority list over two overlapping segments (VIP, champions), with each entry's exclusive members;
//   - the demo activation excluding the low-value dormant tier, counted in a dry run;
//   - a frequency cap on e-mail (listed; it applies to send activations);
//   - a published quiz answered by three demo customers through a client write key, its
//     answers landing as traits (a rules segment on them has members at once) and its stats.
import { Call } from './demo-api';

/** The quiz the demo publishes: one answer sets `price_sensitive`, which the demo segment reads. */
export const DEMO_QUIZ = {
  key: 'shopping_style',
  owner: 'demo@audiencekit.local',
  definition: {
    title: 'What kind of shopper are you?',
    questions: [
      {
        id: 'priority',
        text: 'What matters most when you buy?',
        kind: 'single',
        required: true,
        trait: 'shopping_priority',
        options: [{ value: 'price', trait: 'price_sensitive', traitValue: true }, { value: 'quality' }, { value: 'speed' }],
      },
      {
        id: 'values',
        text: 'Which of these do you care about?',
        kind: 'multi',
        trait: 'shopping_values',
        options: [{ value: 'eco', trait: 'eco_conscious', traitValue: true }, { value: 'gifts' }, { value: 'local' }],
      },
    ],
  },
};

/** The quiz's price answer as a rules segment: usable at once, since answers land as traits. */
const PRICE_SENSITIVE = { type: 'rules', match: { type: 'trait', trait: 'price_sensitive', operator: 'equals', value: true } };

/** Three demo customers (user ids of the imported orders) and their answers. */
const DEMO_ANSWERS = [
  { userId: '12347', answers: { priority: 'price', values: ['eco', 'gifts'] } },
  { userId: '12348', answers: { priority: 'quality', values: ['local'] } },
  { userId: '12349', answers: { priority: 'price', values: [] } },
];

interface Segment {
  id: string;
  key: string;
}

interface Membership {
  entries: { position: number; segmentKey: string; members: number; exclusive: number }[];
}

export async function runOrchestrationDemo(apiUrl: string, api: Call, activationId: string, say: (line: string) => void): Promise<void> {
  const list = await api<{ key: string }>('POST', '/priority-lists', {
    key: 'vip_first',
    name: 'VIP before champions',
    // Overlapping segments (RFM tiers themselves are disjoint): VIPs who are also champions go to the VIP entry only.
    entries: ['vip', 'champions'],
  });
  const { entries } = await api<Membership>('GET', `/priority-lists/${list.key}/membership`);
  say(
    `demo priority list ${list.key}: ${entries.map((entry) => `${entry.segmentKey} ${entry.members} members, ${entry.exclusive} exclusive`).join('; ')}`,
  );

  await api('PATCH', `/activations/${activationId}`, { excludeSegments: ['low-value-dormant'] });
  const { counts } = await api<{ counts: Record<string, number> }>('POST', `/activations/${activationId}/dry-run`, {});
  // A mirror removes delivered members who are now excluded (counted among its removals).
  say(
    `demo exclusion: the win-back activation now excludes low-value-dormant; its dry run would remove ${counts.removeEligible ?? 0} delivered members — ${JSON.stringify(counts)}`,
  );

  const cap = await api<{ name: string; maxMessages: number; channel: string; windowHours: number }>('POST', '/frequency-caps', {
    name: 'one e-mail a day',
    channel: 'email',
    maxMessages: 1,
    windowHours: 24,
  });
  say(
    `demo frequency cap: "${cap.name}" (at most ${cap.maxMessages} message on ${cap.channel} in ${cap.windowHours} h, every send activation)`,
  );

  await runQuizDemo(apiUrl, api, say);
}

async function runQuizDemo(apiUrl: string, api: Call, say: (line: string) => void): Promise<void> {
  await api('POST', '/quizzes', DEMO_QUIZ);
  const { secret } = await api<{ secret: string }>('POST', '/keys', { name: 'demo quiz page', role: 'write', trust: 'client' });
  const client = { authorization: `Basic ${Buffer.from(`${secret}:`).toString('base64')}`, 'content-type': 'application/json' };
  const served = (await (await fetch(`${apiUrl}/v1/quizzes/${DEMO_QUIZ.key}`, { headers: client })).json()) as { version: number };
  for (const { userId, answers } of DEMO_ANSWERS) {
    const response = await fetch(`${apiUrl}/v1/quizzes/${DEMO_QUIZ.key}/answers`, {
      method: 'POST',
      headers: client,
      body: JSON.stringify({ version: served.version, userId, answers }),
    });
    if (!response.ok) throw new Error(`demo quiz answer refused: ${response.status} ${await response.text()}`);
  }
  await api<Segment>('POST', '/segments', {
    key: 'price-sensitive-quiz',
    name: 'Price-sensitive (quiz)',
    owner: 'demo@audiencekit.local',
    description: 'Answered "price" to the shopping-style quiz.',
    definition: PRICE_SENSITIVE,
  });
  const preview = await api<{ size: number }>('POST', '/segments/preview', { definition: PRICE_SENSITIVE });
  const stats = await api<{ versions: { submissions: number; respondents: number }[] }>('GET', `/quizzes/${DEMO_QUIZ.key}/stats`);
  const latest = stats.versions[stats.versions.length - 1];
  say(
    `demo quiz ${DEMO_QUIZ.key}: ${latest.submissions} submissions from ${latest.respondents} people; segment price-sensitive-quiz previews ${preview.size} members — GET /v1/quizzes/${DEMO_QUIZ.key}/page with a client write key`,
  );
}
