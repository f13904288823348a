import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { verifyWebhook } from '../src/ingest/index.ts';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

/** The fenced block of `language` whose text contains `marker`. */
function block(language: string, marker: string): string {
  for (const [, lang, code] of readme.matchAll(/```(\w+)\n([\s\S]*?)```/g))
    if (lang === language && code?.includes(marker)) return code;
  throw new Error(`README has no ${language} block with ${marker}`);
}

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const ID = 'msg_readme_1';
const BODY = '{"email":"grace@example-corp.com","name":"Grace Hopper","source":"webinar","note":"ü"}';

function assertVerifies(signature: string, timestamp: number) {
  const verified = verifyWebhook(
    { id: ID, timestamp: String(timestamp), signature },
    BODY,
    [SECRET],
    timestamp * 1000,
  );
  assert.ok(verified.ok, `signature ${signature} verifies: ${JSON.stringify(verified)}`);
}

/** The README's signing snippets must produce signatures the server accepts. */
describe('README webhook signing snippets', () => {
  it('Node.js: signedHeaders signs the way the server verifies', () => {
    const code = block('js', 'function signedHeaders');
    const fn = /function signedHeaders[\s\S]*?\n\}\n/.exec(code)?.[0];
    assert.ok(fn, 'the js block defines signedHeaders');
    const signedHeaders = new Function('createHmac', 'randomUUID', `${fn}; return signedHeaders;`)(
      createHmac,
      randomUUID,
    ) as (secret: string, body: string, id: string, timestamp: number) => Record<string, string>;
    const timestamp = 1_800_000_000;
    const headers = signedHeaders(SECRET, BODY, ID, timestamp);
    assert.equal(headers['webhook-id'], ID);
    assert.equal(headers['webhook-timestamp'], String(timestamp));
    assertVerifies(headers['webhook-signature'] as string, timestamp);
  });

  const python = spawnSync('python3', ['--version']);
  it('Python: signed_headers signs the way the server verifies', { skip: python.status !== 0 }, () => {
    const code = block('python', 'def signed_headers');
    const fn = /import [^\n]*\n\ndef signed_headers[\s\S]*?\n\n/.exec(code)?.[0];
    assert.ok(fn, 'the python block defines signed_headers');
    const timestamp = 1_800_000_100;
    const run = spawnSync(
      'python3',
      [
        '-c',
        `${fn}\nimport sys\nprint(json.dumps(signed_headers(sys.argv[1], sys.argv[2].encode(), sys.argv[3], int(sys.argv[4]))))`,
        SECRET,
        BODY,
        ID,
        String(timestamp),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    const headers = JSON.parse(run.stdout) as Record<string, string>;
    assertVerifies(headers['webhook-signature'] as string, timestamp);
  });

  const tools = spawnSync('sh', ['-c', 'command -v openssl && command -v base64 && command -v od']);
  it('shell: the openssl pipeline signs the way the server verifies', { skip: tools.status !== 0 }, () => {
    const code = block('sh', 'openssl dgst');
    const lines = code.split('\n').filter((line) => /^(KEY_HEX|SIG)=/.test(line));
    assert.equal(lines.length, 2, 'the sh block computes KEY_HEX and SIG');
    const timestamp = 1_800_000_200;
    const run = spawnSync('sh', ['-c', `${lines.join('\n')}\nprintf '%s' "$SIG"`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, SECRET, ID, TS: String(timestamp), BODY },
    });
    assert.equal(run.status, 0, run.stderr);
    assertVerifies(`v1,${run.stdout.trim()}`, timestamp);
  });
});
