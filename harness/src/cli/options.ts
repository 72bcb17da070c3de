// node:util parseArgs with errors rewritten as UsageError (the option, the value, what is allowed).
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from '../errors.ts';

/** Turns node:util parseArgs errors into messages that name the option and what is allowed. */
export function parseOptions<T extends ParseArgsOptionsConfig>(argv: string[], options: T, allowNegative = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true, allowNegative });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const msg = (err as Error).message;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const opt = /'([^']+)'/.exec(msg)?.[1] ?? msg;
      const known = Object.keys(options).map((k) => `--${k}`).join(' ');
      throw new UsageError(`unknown option '${opt}'; allowed: ${known}`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(msg.replace(/^TypeError \[[A-Z_]+\]: /, ''));
    throw new UsageError(msg);
  }
}

