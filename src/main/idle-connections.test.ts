import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { it } from 'node:test';
import { trackIdleConnections } from './idle-connections.ts';

it('closes a connection that never sent a request, lets a request in flight finish, then the server closes', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let entered: () => void = () => {};
  const handling = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const server = createServer(async (_request, response) => {
    entered();
    await gate;
    response.end('done');
  });
  const connections = trackIdleConnections(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const open = async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return socket;
  };
  // A browser's pre-connection: open, and silent.
  const silent = await open();
  const silentClosed = once(silent, 'close');
  const busy: Socket = await open();
  let answer = '';
  busy.on('data', (chunk: Buffer) => {
    answer += chunk.toString();
  });
  busy.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
  // The request has reached the handler (the gate holds it) before the server stops.
  await handling;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  connections.closeIdle();
  await silentClosed;
  assert.equal(answer, '', 'the request in flight is still waiting');
  release();
  await once(busy, 'close');
  await closed;
  assert.match(answer, /^HTTP\/1\.1 200/);
  assert.match(answer, /done$/);
});
