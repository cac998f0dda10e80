import { z } from 'zod';
import { AppConfig, configSchema } from './config.schema';

/** Thrown at start-up when the environment is invalid; the message names each bad variable. */
export class ConfigException extends Error {
  constructor(readonly problems: { variable: string; reason: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable} ${p.reason}`).join('; ')}`);
    this.name = 'ConfigException';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings count as unset, as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = configSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  throw new ConfigException(parsed.error.issues.map(toProblem));
}

function toProblem(issue: z.core.$ZodIssue): { variable: string; reason: string } {
  return { variable: String(issue.path[0] ?? '(environment)'), reason: issue.message };
}
