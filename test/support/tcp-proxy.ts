import { connect as connectTo, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy to a service, whose connections a test can cut (every socket destroyed, new ones
 * refused) and restore, to see what a client does when its connection drops mid-work.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  async function open(): Promise<void> {
    const next = createServer((client) => {
      const upstream = connectTo(target);
      sockets.add(client);
      sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    const address = next.address();
    if (address && typeof address === 'object') port = address.port;
    server = next;
  }
  await open();
  return {
    get port() {
      return port;
    },
    /** Destroys every connection and refuses new ones. */
    async cut(): Promise<void> {
      const closing = server;
      server = null;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    /** Accepts connections again, on the same port. */
    restore: open,
    close(): Promise<void> {
      return this.cut();
    },
  };
}
