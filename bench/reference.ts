/**
 * The reference implementations (numpy, PyTorch) each bench times beside ours: Debian's
 * packages, seen by /usr/bin/python3 (`python3` on PATH may be another interpreter).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** The interpreter with numpy and torch; NORMALS_BENCH_PYTHON overrides it (e.g. to test the fallback). */
export const PYTHON = process.env.NORMALS_BENCH_PYTHON ?? '/usr/bin/python3';

/**
 * Runs a reference script and parses the one JSON document it prints; null, with a note on
 * stderr naming `what`, when the interpreter, the library or the script fails.
 */
export async function runReference<T>(script: string, args: (string | number)[], what: string, timeoutMs = 300_000): Promise<T | null> {
  try {
    const { stdout } = await promisify(execFile)(PYTHON, [script, ...args.map(String)], { timeout: timeoutMs });
    return JSON.parse(stdout) as T;
  } catch (error) {
    console.warn(`note: ${what} timing unavailable (${(error as Error).message.split('\n')[0]})`);
    return null;
  }
}
