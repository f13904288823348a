import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { eventually, testWorkspace } from './support/runtime.ts';

describe('API reads added for the console', () => {
  const app = useTestApp('sqlite');
  let key = '';
  before(async () => {
    key = (await testWorkspace(app.runtime, 'Inbox')).apiKey;
    app.runtime.startWorkers(1);
    const leads = [
      { email: 'ada@analytical.example.com', name: 'Ada Lovelace', company: 'Analytical', source: 'webinar' },
      { email: 'grace@navy.example.com', name: 'Grace Hopper', company: 'Navy', title: 'CEO', source: 'ads' },
      { email: 'alan@bletchley.example.com', name: 'Alan Turing', company: 'Bletchley_Park', source: 'ads' },
    ];
    for (const lead of leads) await call(app.http.app, 'POST', '/v1/leads', { key, body: lead });
    await eventually(async () => {
      const page = await call(app.http.app, 'GET', '/v1/leads', { key });
      return (page.body.items as unknown[]).length === 3 ? true : undefined;
    });
  });

  const emails = async (query: string) =>
    ((await call(app.http.app, 'GET', `/v1/leads?${query}`, { key })).body.items as { email: string }[]).map(
      (l) => l.email,
    );

  it('filters leads by source, search words and score band, newest first', async () => {
    assert.deepEqual(await emails('source=ads'), ['alan@bletchley.example.com', 'grace@navy.example.com']);
    assert.deepEqual(await emails('q=HOPPER'), ['grace@navy.example.com']);
    assert.deepEqual(await emails('q=analytical'), ['ada@analytical.example.com']);
    // Words, not substrings: punctuation separates words and is never a wildcard.
    assert.deepEqual(await emails('q=bletch%20park'), ['alan@bletchley.example.com']);
    assert.deepEqual(await emails('q=y_p'), []);
    assert.deepEqual(await emails('q=%25'), []);
    const scores = (
      (await call(app.http.app, 'GET', '/v1/leads', { key })).body.items as { score: number }[]
    ).map((l) => l.score);
    const top = Math.max(...scores);
    assert.equal((await emails(`minScore=${top}`)).length, scores.filter((s) => s >= top).length);
    assert.equal((await emails(`maxScore=${top - 0.001}`)).length, scores.filter((s) => s < top).length);
  });
});
