import type { TextSignalsService } from '@audiencekit/segments-service';

type Print = (line: string) => void;

/** `text-signals list`: one line per scored event property: its vocabularies and how far scoring got. */
export async function textSignalsList(service: TextSignalsService, print: Print): Promise<number> {
  const configs = await service.list();
  if (configs.length === 0) print('no text signals configured');
  for (const config of configs) {
    const tags = Object.entries(config.vocabularies).map(([tag, terms]) => `${tag} (${terms.length} terms)`);
    print(
      `${config.event}.${config.property}: tags ${tags.join(', ') || 'none'}; ${config.eventsScored} events scored, received before ${config.scoredUntil ?? 'nothing yet'}`,
    );
  }
  return 0;
}

/**
 * `text-signals score`: one scoring pass now (what the worker does every 2 s), up to `maxEvents`;
 * exit 3 when a worker holds the scoring lock (nothing done: try again).
 */
export async function textSignalsScore(service: TextSignalsService, print: Print, maxEvents: number): Promise<number> {
  const result = await service.scorePending({ maxEvents });
  if (!result.ran) {
    print('another process is scoring (a worker holds the scoring lock); nothing done');
    return 3;
  }
  print(`${result.scored} events scored`);
  return 0;
}
