/**
 * The highest offered rate a deployment holds, found by bisection over load runs. Each probe is a
 * run against a fresh server, so probes are independent and one bad probe costs one run; holding
 * is assumed to fall with the rate (a higher rate that holds after a lower one that did not is
 * machine noise, and the search does not chase it).
 */
export interface CapacityProbe<T> {
  rate: number;
  held: boolean;
  result: T;
}

export interface CapacitySearch<T> {
  /** The highest rate that held (0 when even the lowest probe did not). */
  heldRate: number;
  /** The lowest rate that did not hold, or null when the upper bound held. */
  failedRate: number | null;
  probes: CapacityProbe<T>[];
}

export interface CapacitySearchOptions<T> {
  /** The rate to reach (the target): probed first, and the search stops if it holds. */
  upper: number;
  /** Stop once the bracket between held and not held is this narrow (requests/s). */
  resolution: number;
  /** One load run at `rate`; whether it held, and what it measured. */
  probe(rate: number): Promise<{ held: boolean; result: T }>;
}

export async function searchCapacity<T>(options: CapacitySearchOptions<T>): Promise<CapacitySearch<T>> {
  const { upper, resolution } = options;
  if (!(upper > 0) || !(resolution > 0)) throw new RangeError('upper and resolution must be positive');
  const probes: CapacityProbe<T>[] = [];
  let held = 0;
  let failed: number | null = null;
  let rate = upper;
  for (;;) {
    const { held: ok, result } = await options.probe(rate);
    probes.push({ rate, held: ok, result });
    if (ok) held = rate;
    else failed = rate;
    if (failed === null) break;
    if (failed - held <= resolution) break;
    // Round to the resolution so the probed rates are readable figures.
    const next = Math.round((held + failed) / 2 / resolution) * resolution;
    if (next <= held || next >= failed) break;
    rate = next;
  }
  return { heldRate: held, failedRate: failed, probes };
}
