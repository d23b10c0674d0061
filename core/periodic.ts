// A round of work run once at start and then every `intervalMs`, never two at once: a round asked
// for while one runs gets that one. What the poller and the environment keeper share.

export interface Periodic<T> {
  /** A round now (or the one running); `force` is passed to the work. */
  runOnce(force?: boolean): Promise<T>;
  /** Stops the timer and waits for the running round. */
  close(): Promise<void>;
}

export function startPeriodic<T>(work: (force: boolean) => Promise<T>, opts: { intervalMs: number; onError: (err: unknown) => void }): Periodic<T> {
  let running: Promise<T> | undefined;
  const round = (force = false): Promise<T> => {
    if (running) return running;
    // set before it can settle, and cleared by its own settling (a round with nothing to do settles at once)
    const current = work(force);
    running = current;
    const clear = () => {
      if (running === current) running = undefined;
    };
    current.then(clear, clear);
    return current;
  };
  const tick = (): void => {
    round().catch(opts.onError);
  };
  tick();
  const timer = setInterval(tick, opts.intervalMs);
  timer.unref();
  return {
    runOnce: round,
    async close() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
