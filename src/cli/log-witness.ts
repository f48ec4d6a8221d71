/**
 * Placeholder until the transparency log core lands (see wp-tlog).
 */
import type { LogTarget } from './options';
import type { Problem } from './problems';
import type { LogReport } from './report';
import type { VerifiedHash } from './verify';

export interface WitnessOptions {
  readonly target: LogTarget;
  readonly hashes: readonly VerifiedHash[];
  readonly cacheDir: string;
  readonly timeoutMs: number;
  readonly userAgent?: string;
}

export async function witnessLog(
  options: WitnessOptions,
): Promise<{ report?: LogReport; problems: Problem[] }> {
  return {
    problems: [
      {
        code: 'usage',
        subject: options.target.prefixUrl,
        message: 'this build of dist-verify cannot check a transparency log yet',
      },
    ],
  };
}
