import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import { z } from 'zod';
import type { ModelMessage, TextResult, TextStream } from '../port.ts';
import { type ProtocolServer, startProtocolServer } from './protocol-server.ts';

/**
 * What the provider wire-format tests share: one protocol server a file, the retry waits a client
 * asked for, the request bodies it sent, and the lead-lookup tool both protocols round-trip. For
 * tests only.
 */

export interface WireTest {
  /** Started before the file's tests, reset before each, closed after. */
  readonly server: ProtocolServer;
  /** The waits the client's injected `sleep` was asked for in this test (emptied before each). */
  readonly sleeps: number[];
  /** Records a wait instead of waiting: the client's `sleep`. */
  sleep(ms: number): Promise<void>;
  /** The parsed JSON body of the `index`th request of this test. */
  body(index?: number): Record<string, unknown>;
}

/** Registers the file's server hooks; call once at the top level of a test file. */
export function setUpWireTest(): WireTest {
  let server: ProtocolServer | undefined;
  const sleeps: number[] = [];
  before(async () => {
    server = await startProtocolServer();
  });
  after(() => server?.close());
  beforeEach(() => {
    server?.reset();
    sleeps.length = 0;
  });
  return {
    get server() {
      assert.ok(server, 'the protocol server starts before the tests');
      return server;
    },
    sleeps,
    async sleep(ms) {
      sleeps.push(ms);
    },
    body(index = 0) {
      const request = server?.requests[index];
      assert.ok(request, `expected request #${index}`);
      return request.body;
    },
  };
}

/** The tool both wire tests offer: the provider answers with a call to it. */
export const LOOKUP_LEAD_TOOLS = {
  lookup_lead: {
    description: 'Reads a lead of this workspace.',
    inputSchema: z.object({ leadId: z.string(), include: z.array(z.enum(['history', 'score'])) }),
  },
};

/** The conversation that sends a tool call's result back: the question, the call, its output. */
export function toolRoundTrip(prompt: string, first: TextResult, assistantText: string, output: unknown) {
  const call = first.toolCalls[0];
  assert.ok(call, 'the provider called the tool');
  const messages: ModelMessage[] = [
    { role: 'user', content: prompt },
    { role: 'assistant', content: assistantText, toolCalls: first.toolCalls },
    { role: 'tool', results: [{ toolCallId: call.toolCallId, toolName: call.toolName, output }] },
  ];
  return messages;
}

/** Reads a text stream to its end: the deltas in order, and the result. */
export async function readStream(stream: TextStream) {
  const deltas: string[] = [];
  for await (const delta of stream) deltas.push(delta);
  return { deltas, result: await stream.result };
}
