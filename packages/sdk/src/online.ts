/** Whether the browser has a network, and a way to wait until it has one again. */
export interface OnlineSignal {
  isOnline(): boolean;
  /** Resolves at once when online, else on the next `online` event. */
  whenOnline(): Promise<void>;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (online: boolean) => void): () => void;
}

interface OnlineEventTarget {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

/** Read through `globalThis`, so this module also type-checks (and loads) outside a browser. */
const browserGlobals = globalThis as unknown as {
  window?: OnlineEventTarget;
  navigator?: { onLine: boolean };
};

/**
 * `navigator.onLine` and the window's `online`/`offline` events. `onLine` being true does not
 * mean the server is reachable (retries handle that), but false reliably means nothing is.
 */
export function browserOnlineSignal(
  target: OnlineEventTarget | undefined = browserGlobals.window,
  nav: { onLine: boolean } | undefined = browserGlobals.navigator,
): OnlineSignal {
  const isOnline = () => nav?.onLine !== false;
  const subscribe = (listener: (online: boolean) => void): (() => void) => {
    if (!target) return () => {};
    const up = () => listener(true);
    const down = () => listener(false);
    target.addEventListener('online', up);
    target.addEventListener('offline', down);
    return () => {
      target.removeEventListener('online', up);
      target.removeEventListener('offline', down);
    };
  };
  return {
    isOnline,
    subscribe,
    whenOnline: () =>
      isOnline()
        ? Promise.resolve()
        : new Promise((resolve) => {
            const unsubscribe = subscribe((online) => {
              if (!online) return;
              unsubscribe();
              resolve();
            });
          }),
  };
}

/** An online signal tests (and hosts without `navigator`) switch by hand. */
export class ManualOnlineSignal implements OnlineSignal {
  #online: boolean;
  readonly #listeners = new Set<(online: boolean) => void>();

  constructor(online = true) {
    this.#online = online;
  }

  isOnline(): boolean {
    return this.#online;
  }

  set(online: boolean): void {
    if (online === this.#online) return;
    this.#online = online;
    for (const listener of [...this.#listeners]) listener(online);
  }

  whenOnline(): Promise<void> {
    if (this.#online) return Promise.resolve();
    return new Promise((resolve) => {
      const unsubscribe = this.subscribe((online) => {
        if (!online) return;
        unsubscribe();
        resolve();
      });
    });
  }

  subscribe(listener: (online: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
