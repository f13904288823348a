import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Lets a stopping server close connections that carry no request: keep-alive connections between
 * requests, and connections opened and never used (browsers pre-connect). `server.close()` waits for
 * every connection, and Node's own idle sweep runs once, at the start: a connection that never sent
 * a request, or whose last response (an event stream ended by the shutdown) finishes afterwards,
 * would hold the shutdown until its timeout. A connection with a request in flight is left to finish
 * it, then closed.
 */
export function trackIdleConnections(server: Server): { closeIdle(): void } {
  const sockets = new Set<Socket>();
  const inFlight = new Map<Socket, number>();
  let closing = false;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      inFlight.delete(socket);
    });
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    // 'close' comes after 'finish': the response is with the kernel, which still sends it.
    response.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (left > 0) inFlight.set(socket, left);
      else {
        inFlight.delete(socket);
        if (closing) socket.destroy();
      }
    });
  });
  return {
    closeIdle() {
      closing = true;
      for (const socket of sockets) if (!inFlight.has(socket)) socket.destroy();
    },
  };
}
