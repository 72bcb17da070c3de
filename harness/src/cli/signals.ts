// Interrupts: Ctrl-C (SIGINT), `kill` (SIGTERM) and a closed terminal (SIGHUP) all mean "stop and keep
// what was measured". Without a SIGHUP handler Node dies at once and the run's last records, its summary
// and its cleanup are lost.

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

/** Calls `handler` on each interrupt until the returned function is called. */
export function onInterrupt(handler: (signal: InterruptSignal) => void): () => void {
  const listeners = INTERRUPT_SIGNALS.map((s) => [s, () => handler(s)] as const);
  for (const [s, l] of listeners) process.on(s, l);
  return () => {
    for (const [s, l] of listeners) process.off(s, l);
  };
}
