/**
 * Creating a release's pin from its judged manifest, and keeping the pin's index entry.
 *
 * Contract: only a manifest that parses, is validly signed and is bound to its release
 * (core/manifest-binding.ts) creates a pin; an existing pin is never replaced by another
 * manifest (a validly re-signed manifest stays `manifest-changed`, for ever). A pin gets the
 * release's index.json entry once: at pin time, or on the first sweep after this field
 * existed; that entry is then never rewritten, whatever index.json says later.
 */
import { pinnedIndexEntryOf } from '../core/index-pins';
import type { ReleasePin } from '../adapters/pin-store';
import { isPinnable, type JudgedManifest } from './manifest-report';
import type { SweepContext } from './sweep-context';
import type { ReleaseFacts } from './sweep-index';

/** The new pin for a release that has none, or undefined when this manifest may not pin. */
export function createPin(
  ctx: SweepContext,
  version: string,
  judged: JudgedManifest,
  facts: ReleaseFacts | undefined,
): ReleasePin | undefined {
  const { verdict, parsed } = judged;
  if (!isPinnable(judged) || !verdict?.ok || !parsed.ok) return undefined;
  return {
    version,
    manifestSha256: judged.sha256,
    entries: Object.fromEntries(parsed.value.entries.map((entry) => [entry.name, entry.sha256])),
    signer: verdict.signer,
    pinnedAt: ctx.now.toISOString(),
    artifacts: {},
    signatureForms: verdict.via,
    ...(facts?.listed && { indexEntry: pinnedIndexEntryOf(facts.listed) }),
  };
}

/** The pin with its index entry filled in when it had none and the release is listed. */
export function withIndexEntry(
  pin: ReleasePin,
  facts: ReleaseFacts | undefined,
): { readonly pin: ReleasePin; readonly changed: boolean } {
  if (pin.indexEntry !== undefined || facts?.listed === undefined) return { pin, changed: false };
  return { pin: { ...pin, indexEntry: pinnedIndexEntryOf(facts.listed) }, changed: true };
}

/** Queues the pin's index entry for the release registry (written once there). */
export function notePinnedEntry(ctx: SweepContext, pin: ReleasePin): void {
  if (pin.indexEntry === undefined) return;
  ctx.pinnedEntries.push({ entry: pin.indexEntry, pinnedAt: pin.pinnedAt });
}
