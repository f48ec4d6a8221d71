/**
 * Files the person already has, hashed (streaming SHA-256, one chunk in memory) and
 * compared with the signed manifest entry of the same name (match-files.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Manifest } from '../core/manifest';
import { entriesWithDigest, matchLocalFile } from './match-files';
import type { Problem } from './problems';
import type { FileReport } from './report';

export interface FilesCheck {
  readonly files: FileReport[];
  readonly problems: Problem[];
}

export async function checkLocalFiles(
  paths: readonly string[],
  manifest: Manifest,
  release: string,
): Promise<FilesCheck> {
  const files: FileReport[] = [];
  const problems: Problem[] = [];
  for (const path of paths) {
    const match = matchLocalFile(path, manifest);
    if (match.kind === 'not-in-manifest') {
      files.push({ name: path, source: 'local', path, status: 'not-in-manifest' });
      problems.push({
        code: 'not-in-manifest',
        subject: path,
        release,
        message: `${path} is not a file of ${release}: its name is not in the signed SHASUMS256.txt.`,
      });
      continue;
    }
    if (match.kind === 'ambiguous') {
      files.push({ name: path, source: 'local', path, status: 'ambiguous' });
      problems.push({
        code: 'usage',
        subject: path,
        release,
        message: `${path} could be ${match.candidates.join(' or ')}; give its directory too (e.g. ${match.candidates[0]}).`,
      });
      continue;
    }
    const { entry } = match;
    const hashed = await hashLocalFile(path);
    if (!hashed.ok) {
      files.push({
        name: entry.name,
        source: 'local',
        path,
        status: 'unreadable',
        expected: entry.sha256,
      });
      problems.push({
        code: 'file-unreadable',
        subject: path,
        release,
        message: `Cannot read ${path}: ${hashed.reason}.`,
      });
      continue;
    }
    const { sha256, bytes } = hashed;
    const verified = sha256 === entry.sha256;
    files.push({
      name: entry.name,
      source: 'local',
      path,
      status: verified ? 'verified' : 'mismatch',
      expected: entry.sha256,
      observed: sha256,
      bytes,
    });
    if (!verified) {
      const actually = entriesWithDigest(manifest, sha256);
      problems.push({
        code: 'hash-mismatch',
        kind: 'artifact-hash-mismatch',
        subject: path,
        release,
        expected: entry.sha256,
        observed: sha256,
        message:
          actually.length > 0
            ? `${path} is not ${entry.name} of ${release}: its bytes are those of ${actually.join(', ')}.`
            : `${path} does not match the signed SHA-256 of ${entry.name} in ${release}: do not use it.`,
      });
    }
  }
  return { files, problems };
}

type Hashed =
  | { readonly ok: true; readonly sha256: string; readonly bytes: number }
  | { readonly ok: false; readonly reason: string };

async function hashLocalFile(path: string): Promise<Hashed> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return { ok: false, reason: 'not a regular file' };
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.byteLength;
    }
    return { ok: true, sha256: hash.digest('hex'), bytes };
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ENOENT') return { ok: false, reason: 'no such file' };
    if (code === 'EACCES') return { ok: false, reason: 'permission denied' };
    return { ok: false, reason: cause instanceof Error ? cause.message : String(cause) };
  }
}
