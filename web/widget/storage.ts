/** What survives a reload of the host page (sessionStorage: this tab only, gone when it closes). */
export interface Saved {
  sessionId?: string;
  open?: boolean;
}

/** Storage can throw (sandboxed frames, blocked storage); the widget then just forgets on reload. */
export function createSessionMemory(key: string, storage: () => Storage = () => sessionStorage) {
  const name = `leadloop-chat:${key}`;
  return {
    load(): Saved {
      try {
        const value: unknown = JSON.parse(storage().getItem(name) ?? '{}');
        return value && typeof value === 'object' ? (value as Saved) : {};
      } catch {
        return {};
      }
    },
    save(patch: Saved): void {
      try {
        storage().setItem(name, JSON.stringify({ ...this.load(), ...patch }));
      } catch {
        // Nothing to do: the conversation still works, it just will not survive a reload.
      }
    },
    clear(): void {
      try {
        storage().removeItem(name);
      } catch {
        // As above.
      }
    },
  };
}
