// A bench script's count argument (node --import tsx bench/x/run.ts [N]) read as Slipway's numeric
// settings are (core/config.ts): plain decimal digits in range, else the script stops before it
// does anything, with a message naming the argument. Number() alone took "30s" as NaN and ran on.
import path from 'node:path';
import { integerSetting } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';

/** process.argv[index] (`raw` instead, when given) as a whole number in [min, max]; `fallback` when absent or empty. */
export function integerArg(index: number, name: string, fallback: number, min: number, max: number, raw = process.argv[index]): number {
  try {
    return integerSetting({ [name]: raw }, name, fallback, min, max);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${path.relative(process.cwd(), process.argv[1] ?? 'bench')}: ${err.message}`);
    process.exit(2);
  }
}
