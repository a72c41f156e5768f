/** Where the guard listens: the window, or a stand-in in tests. */
export interface UnloadTarget {
  addEventListener(type: 'beforeunload', listener: (event: BeforeUnloadEvent) => void): void;
  removeEventListener(type: 'beforeunload', listener: (event: BeforeUnloadEvent) => void): void;
}

/**
 * Asks the user to stay while recorded bytes have not reached storage. Browsers show their own
 * generic "leave site?" dialog, and only after the user interacted with the page. The journal
 * keeps the bytes either way; staying lets them upload now instead of after the next visit.
 */
export class UnloadGuard {
  readonly #target: UnloadTarget | null;
  #installed = false;
  readonly #listener = (event: BeforeUnloadEvent): void => {
    event.preventDefault();
    // Older Chromium versions need returnValue set as well.
    event.returnValue = '';
  };

  /** `null`: no guard at all. */
  constructor(target: UnloadTarget | null = typeof window === 'undefined' ? null : window) {
    this.#target = target;
  }

  get installed(): boolean {
    return this.#installed;
  }

  /** Installs the handler while `backlogBytes` > 0, removes it once nothing is left. */
  update(backlogBytes: number): void {
    const wanted = backlogBytes > 0;
    if (!this.#target || wanted === this.#installed) return;
    if (wanted) this.#target.addEventListener('beforeunload', this.#listener);
    else this.#target.removeEventListener('beforeunload', this.#listener);
    this.#installed = wanted;
  }
}
