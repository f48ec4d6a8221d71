/**
 * C2SP signed-note and tlog-checkpoint as written, against the reference implementation's
 * published examples (golang.org/x/mod/sumdb/note: the PeterNeumann and EnochRoot keys and
 * notes) and the specs' own examples (the checkpoint and cosignature layouts).
 */
import { describe, expect, it } from 'vitest';
import {
  formatCheckpointBody,
  generateNoteKey,
  originFromUrl,
  parseCheckpoint,
  parsePrivateKey,
  parseSignedNote,
  parseVerifierKey,
  signCheckpoint,
  signNote,
  verifyCheckpoint,
  verifyCheckpointAdvance,
  verifyNote,
  type SigningKey,
  type VerifierKey,
} from '../src/core/tlog';

const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

async function verifier(vkey: string): Promise<VerifierKey> {
  const parsed = await parseVerifierKey(vkey);
  if (!parsed.ok) throw new Error(parsed.error.detail);
  return parsed.value;
}

async function signer(skey: string): Promise<SigningKey> {
  const parsed = await parsePrivateKey(skey);
  if (!parsed.ok) throw new Error(parsed.error.detail);
  return parsed.value;
}

describe('signed-note keys (Go note.NewVerifier / NewSigner forms)', () => {
  it('reads the reference verifier and private keys, and they belong together', async () => {
    const peter = await verifier(PETER_VKEY);
    expect(peter).toMatchObject({ name: 'PeterNeumann', keyId: 0xc74f20a3, type: 1 });
    const key = await signer(PETER_SKEY);
    expect(key.verifier.encoded).toBe(PETER_VKEY);
  });

  it('refuses every mangled key the reference refuses', async () => {
    for (let position = 0; position < PETER_VKEY.length; position += 1) {
      const code = PETER_VKEY.charCodeAt(position);
      const mangled =
        PETER_VKEY.slice(0, position) +
        String.fromCharCode(code + 1) +
        PETER_VKEY.slice(position + 1);
      expect((await parseVerifierKey(mangled)).ok, mangled).toBe(false);
    }
    for (const cut of [PETER_VKEY.slice(1), PETER_VKEY.slice(0, -1), PETER_VKEY.slice(0, 20)]) {
      expect((await parseVerifierKey(cut)).ok).toBe(false);
    }
    // Wrong length key with an adjusted key hash; unknown algorithm with an adjusted hash.
    expect(
      (
        await parseVerifierKey(
          'PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==',
        )
      ).ok,
    ).toBe(false);
    expect(
      (await parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'))
        .ok,
    ).toBe(false);
    for (let position = 0; position < PETER_SKEY.length; position += 7) {
      const code = PETER_SKEY.charCodeAt(position);
      const mangled =
        PETER_SKEY.slice(0, position) +
        String.fromCharCode(code + 1) +
        PETER_SKEY.slice(position + 1);
      expect((await parsePrivateKey(mangled)).ok, mangled).toBe(false);
    }
  });

  it('generates keys in the same forms, which sign and verify', async () => {
    const generated = await generateNoteKey('example.test/log');
    expect(generated.privateKey).toMatch(/^PRIVATE\+KEY\+example\.test\/log\+[0-9a-f]{8}\+/);
    const key = await signer(generated.privateKey);
    expect(key.verifier.encoded).toBe(generated.verifierKey);
    const note = await signNote('hello\n', key);
    expect((await verifyNote(note, await verifier(generated.verifierKey))).ok).toBe(true);
  });
});

describe('signed-note format', () => {
  it('signs exactly as the reference does (deterministic Ed25519)', async () => {
    expect(await signNote(TEXT, await signer(PETER_SKEY))).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  it('verifies a note by a known key and ignores signatures by unknown keys', async () => {
    const peter = await verifier(PETER_VKEY);
    const both = await verifyNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, peter);
    expect(both.ok && both.value.text).toBe(TEXT);
    expect(
      (await verifyNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, await verifier(ENOCH_VKEY))).ok,
    ).toBe(true);
    const enochOnly = await verifyNote(`${TEXT}\n${ENOCH_SIG}`, peter);
    expect(!enochOnly.ok && enochOnly.error.kind).toBe('not-signed');
  });

  it('refuses a note whose signature by the known key does not verify', async () => {
    const broken = `${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    const result = await verifyNote(broken, await verifier(PETER_VKEY));
    expect(!result.ok && result.error.kind).toBe('invalid-signature');
    const otherText = await verifyNote(
      `${TEXT.replace('problem', 'question')}\n${PETER_SIG}`,
      await verifier(PETER_VKEY),
    );
    expect(otherText.ok).toBe(false);
  });

  it('refuses the malformed notes the reference refuses', () => {
    const bad = [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\u0001${TEXT}\n${PETER_SIG}`,
      `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${TEXT}\n${PETER_SIG.repeat(101)}`,
    ];
    for (const message of bad)
      expect(parseSignedNote(message).ok, JSON.stringify(message)).toBe(false);
    expect(
      parseSignedNote(new Uint8Array([0xff, ...new TextEncoder().encode(`${TEXT}\n${PETER_SIG}`)]))
        .ok,
    ).toBe(false);
  });

  it('separates the text from the signatures at the last blank line', () => {
    const text = 'first paragraph\n\nsecond paragraph\n';
    const parsed = parseSignedNote(`${text}\n${PETER_SIG}`);
    expect(parsed.ok && parsed.value.text).toBe(text);
  });
});

describe('tlog-checkpoint', () => {
  // The spec's example (its signature is by a key the spec does not publish).
  const SPEC_EXAMPLE = [
    'example.com/behind-the-sofa',
    '20852163',
    'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=',
    '',
    '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=',
    '',
  ].join('\n');
  const SPEC_COSIGNED =
    SPEC_EXAMPLE +
    '— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n';

  it('parses the spec examples, the cosigned one included', () => {
    for (const message of [SPEC_EXAMPLE, SPEC_COSIGNED]) {
      const parsed = parseCheckpoint(message);
      if (!parsed.ok) throw new Error(parsed.error.detail);
      expect(parsed.value).toMatchObject({
        origin: 'example.com/behind-the-sofa',
        size: 20852163,
        extensions: [],
      });
      expect(parsed.value.rootHash).toHaveLength(32);
    }
    const cosigned = parseCheckpoint(SPEC_COSIGNED);
    expect(cosigned.ok && cosigned.value.signatures.map((signature) => signature.name)).toEqual([
      'example.com/behind-the-sofa',
      'witness.example.com/w1',
    ]);
  });

  it('refuses bodies that break the spec', () => {
    const root = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';
    const sig =
      '\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
    for (const body of [
      `origin\n0020852163\n${root}\n`,
      `origin\n-1\n${root}\n`,
      `origin\n12\n${root.slice(4)}\n`,
      `origin\n12\n`,
      `\n12\n${root}\n`,
    ]) {
      expect(parseCheckpoint(body + sig).ok, JSON.stringify(body)).toBe(false);
    }
    expect(parseCheckpoint(`origin\n0\n${root}\nan extension\n${sig}`).ok).toBe(true);
  });

  it('signs a checkpoint a verifier accepts, and only with the log key', async () => {
    const key = await signer(PETER_SKEY);
    const body = { origin: 'PeterNeumann', size: 3, rootHash: new Uint8Array(32).fill(7) };
    const note = await signCheckpoint(body, key);
    expect(note.startsWith(formatCheckpointBody(body))).toBe(true);
    const verified = await verifyCheckpoint(note, PETER_VKEY);
    expect(verified.ok && verified.value.size).toBe(3);
    expect((await verifyCheckpoint(note, ENOCH_VKEY)).ok).toBe(false);
    expect((await verifyCheckpoint(note.replace('\n3\n', '\n4\n'), PETER_VKEY)).ok).toBe(false);
    expect((await verifyCheckpoint(note, PETER_VKEY, { origin: 'elsewhere' })).ok).toBe(false);
  });

  it('derives the origin from a URL prefix as tlog-tiles recommends', () => {
    expect(originFromUrl('https://rome.ct.example.com/tevere/')).toBe('rome.ct.example.com/tevere');
  });

  it('refuses a checkpoint for a smaller tree, a fork and another origin', async () => {
    const root = (fill: number) => new Uint8Array(32).fill(fill);
    const head = { origin: 'o', size: 10, rootHash: root(1) };
    const smaller = await verifyCheckpointAdvance(head, { ...head, size: 9 }, []);
    expect(!smaller.ok && smaller.error.kind).toBe('smaller-tree');
    const fork = await verifyCheckpointAdvance(head, { ...head, rootHash: root(2) }, []);
    expect(!fork.ok && fork.error.kind).toBe('fork');
    const other = await verifyCheckpointAdvance(head, { ...head, origin: 'p' }, []);
    expect(!other.ok && other.error.kind).toBe('origin-changed');
    expect((await verifyCheckpointAdvance(head, head, [])).ok).toBe(true);
  });
});
