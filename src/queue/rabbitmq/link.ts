import { type ChannelModel, connect } from 'amqplib';

export interface LinkOptions<T> {
  url: string;
  /** Shown by `rabbitmqctl list_connections client_properties` (connection_name). */
  name: string;
  onError(error: unknown): void;
  /** Sets up what the connection is for (channels, topology, consumers); a throw closes it. */
  open(model: ChannelModel): Promise<T>;
  /**
   * Reconnect on its own after a loss (consumers, which must keep receiving), or only when next
   * asked (the producer, which the relay asks on every poll).
   */
  eager: boolean;
}

/** A connection that comes back after the broker does. */
export interface Link<T> {
  /** What `open` made on the live connection, or null while there is none (asking starts an attempt). */
  get(): T | null;
  /** The same, without starting an attempt. */
  peek(): T | null;
  /** Stops reconnecting and closes the connection (giving up on a broker that does not answer). */
  close(): Promise<void>;
}

export const settlesWithin = (promise: Promise<unknown>, ms: number): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * One AMQP connection, re-opened with exponential backoff (100 ms to 5 s) after it is lost. A lost
 * connection loses its channels and unacknowledged deliveries: the broker re-delivers those, and the
 * fenced claim in the database makes a second delivery a no-op.
 */
export function createLink<T>(options: LinkOptions<T>): Link<T> {
  let live: { model: ChannelModel; value: T } | null = null;
  let connecting: Promise<void> | null = null;
  let closed = false;
  let failures = 0;
  let nextAttempt = 0;
  let timer: NodeJS.Timeout | undefined;
  const backoff = () => Math.min(5_000, 100 * 2 ** Math.min(failures, 6));

  const schedule = (ms: number) => {
    if (!options.eager || closed) return;
    clearTimeout(timer);
    timer = setTimeout(attempt, ms);
  };

  function attempt(): void {
    if (closed || live || connecting) return;
    if (Date.now() < nextAttempt) {
      schedule(nextAttempt - Date.now());
      return;
    }
    connecting = (async () => {
      let model: ChannelModel | undefined;
      try {
        model = await connect(options.url, {
          clientProperties: { connection_name: options.name },
          timeout: 5_000,
        });
        model.on('error', options.onError);
        const opened = model;
        model.on('close', () => {
          if (live?.model !== opened) return;
          live = null;
          schedule(backoff());
        });
        const value = await options.open(model);
        if (closed) {
          await model.close().catch(() => {});
          return;
        }
        failures = 0;
        live = { model, value };
      } catch (error) {
        options.onError(error);
        failures++;
        nextAttempt = Date.now() + backoff();
        await model?.close().catch(() => {});
        schedule(backoff());
      }
    })().finally(() => {
      connecting = null;
    });
  }

  if (options.eager) attempt();
  return {
    get() {
      if (!live) attempt();
      return live?.value ?? null;
    },
    peek: () => live?.value ?? null,
    async close() {
      closed = true;
      clearTimeout(timer);
      if (connecting) await connecting;
      const current = live;
      live = null;
      // A broker that went away mid-close would keep a graceful close waiting; the socket goes anyway.
      if (current)
        await settlesWithin(
          current.model.close().catch(() => {}),
          2_000,
        );
    },
  };
}
