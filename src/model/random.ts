import seedrandom from 'seedrandom';

/**
 * A seeded source of uniform numbers in [0, 1). Every random choice in rxgrad (initial weights,
 * shuffling) draws from one of these, so a seed fixes a run.
 *
 * @example
 * const rng = createRandom(42);
 * const u = rng.next();
 */
export interface Random {
  /** A uniform number in [0, 1). */
  next(): number;
  /** A uniform integer in [0, n). */
  int(n: number): number;
  /** A standard normal number (Box–Muller). */
  normal(): number;
}

/**
 * Creates a seeded generator (seedrandom's Alea: fast, with a 2^116 period).
 *
 * @example
 * createRandom('epoch-3').int(10);
 */
export function createRandom(seed: number | string): Random {
  const uniform = seedrandom.alea(String(seed));
  let spare: number | undefined;
  return {
    next: () => uniform(),
    int: (n) => Math.floor(uniform() * n),
    normal() {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      let u = 0;
      while (u === 0) u = uniform();
      const v = uniform();
      const radius = Math.sqrt(-2 * Math.log(u));
      spare = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
  };
}
