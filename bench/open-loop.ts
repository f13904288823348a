import http from 'node:http';

export interface OpenLoopOptions {
  url: string;
  /** Requests per second, sent at evenly spaced intended times. */
  rate: number;
  durationSeconds: number;
  /** Most requests on the wire at once (keep-alive sockets); the rest wait, and that wait counts. */
  connections: number;
  request(): { headers: Record<string, string>; body: string };
  onResponse?(status: number, body: string): void;
}

export interface OpenLoopResult {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

/**
 * An open-loop load generator: request i is due at start + i / rate whatever happened to the
 * others, and its latency runs from that due time to the end of its answer, so a server stall
 * shows in every request it delays (no coordinated omission). autocannon's rate mode is not this:
 * each connection sends its share of a second as fast as it can and then waits for the next
 * second, and its correction for omitted requests assumes a 1 ms interval.
 */
export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const total = Math.round(options.rate * options.durationSeconds);
  const latencies = new Float64Array(total);
  let sent = 0;
  let done = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const start = performance.now();

  await new Promise<void>((resolve) => {
    const finish = (index: number, latency: number) => {
      latencies[index] = latency;
      done++;
      if (done === total) resolve();
    };
    const send = (index: number) => {
      const due = start + (index * 1000) / options.rate;
      const { headers, body } = options.request();
      const request = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) ok++;
            else non2xx++;
            options.onResponse?.(status, Buffer.concat(chunks).toString());
            finish(index, performance.now() - due);
          });
        },
      );
      request.on('error', () => {
        errors++;
        finish(index, performance.now() - due);
      });
      request.end(body);
    };
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * options.rate) / 1000) + 1);
      while (sent < due) send(sent++);
      if (sent >= total) clearInterval(timer);
    }, 1);
  });
  agent.destroy();
  const sorted = latencies.slice().sort();
  const at = (q: number) =>
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
  return { sent, ok, non2xx, errors, latencyMs: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) } };
}
