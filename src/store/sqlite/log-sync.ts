import { type FileHandle, open } from 'node:fs/promises';

/**
 * Makes SQLite's write-ahead log durable on libuv's thread pool instead of inside COMMIT
 * (docs/decisions/2026-12-07-sustained-capacity.md). `node:sqlite` runs COMMIT on the calling
 * thread, so with `synchronous = FULL` the thread that commits waits for the disk; a commit made
 * with `synchronous = NORMAL` followed by this sync is as durable once the sync resolves:
 * in WAL mode FULL means exactly "sync the log at commit", the frames are written at commit, and
 * after a power cut SQLite keeps the log's valid prefix (its frames carry chained checksums), so
 * what was not synced is lost only together with everything after it.
 *
 * The log is one file SQLite keeps (reset and truncated, never replaced) while a connection is
 * open, so a descriptor opened at the first sync stays the right file. Callers that arrive while a
 * sync runs share the next one: the running one may have started before their commit.
 */
export interface LogSync {
  (): Promise<void>;
  close(): Promise<void>;
}

export function createLogSync(walFile: string): LogSync {
  let handle: Promise<FileHandle> | null = null;
  const once = async (): Promise<void> => {
    handle ??= open(walFile, 'r');
    // A failed open is not kept: the next commit tries again.
    const file = await handle.catch((error: unknown) => {
      handle = null;
      throw error;
    });
    await file.datasync();
  };
  const sync = sharedSync(once) as LogSync;
  sync.close = async () => {
    if (!handle) return;
    // A last sync, after any that runs, so none uses the descriptor as it closes.
    await sync().catch(() => undefined);
    const opened = handle;
    handle = null;
    await (await opened?.catch(() => null))?.close();
  };
  return sync;
}

/**
 * `syncOnce` for every caller, started no earlier than the call: a caller that arrives while one
 * runs waits for it and then for the next, which every caller arriving meanwhile shares.
 */
export function sharedSync(syncOnce: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const sync = (): Promise<void> => {
    if (!running) {
      running = syncOnce().finally(() => {
        running = null;
      });
      return running;
    }
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = null;
        return sync();
      });
    return next;
  };
  return sync;
}
