/** Work an envelope started beside the ordered steps (wrapped: a step's promise would wait for it). */
export interface Beside {
  readonly work: Promise<void>;
}

/**
 * Everything that touches the site runs one step at a time, in the order it was asked for; a
 * step's failure is reported and the next step runs. Some work (a blob chunk's bytes) runs
 * beside the steps, its failure reported the same way.
 */
export class Steps {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly onFailure: (error: unknown) => void) {}

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work);
    this.chain = next.catch((error: unknown) => this.onFailure(error));
    return next;
  }

  beside(work: Promise<void>): Beside {
    return { work: work.catch((error: unknown) => this.onFailure(error)) };
  }

  /** Resolves once the steps asked for so far ran. */
  settled(): Promise<unknown> {
    return this.chain;
  }
}
