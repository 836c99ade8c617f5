/**
 * Where contributed code runs: child processes under Node's permission model, each loading
 * only the definitions it needs. Node's permission model cannot coexist with tsx (its loader
 * hooks need a worker thread and esbuild a child process), so the TypeScript sources are first
 * bundled with esbuild (the compiler tsx itself uses) into plain ES modules under
 * node_modules/.cache, one entry per task and per method with shared chunks; a child then
 * imports only its own task's and method's entries. The bundle is content-addressed: the same
 * sources give the same folder, built once and reused by later commands.
 *
 * What a sandboxed child may do: read the bundle, the npm packages (node_modules) and its own
 * task's and method's folders; write only its own temporary folder; no child processes (except
 * for a Python method's cells, which start the method's Python process: it confines itself
 * before the method's code runs, harness/python/collapse_bench.py), no worker threads, no native
 * addons (except for the opt-in native TF.js backends, which are addons); its heap is capped (--max-old-space-size) and the parent kills it past a resident
 * memory cap. Its environment holds only what Node needs (no tokens, no CI variables). The
 * network is not restricted by Node 20's permission model: CI runs contributed code without
 * secrets instead.
 */
import { build, type Plugin } from 'esbuild';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from './hash.ts';

/** The repository that holds harness/ and node_modules (a test's fixture root may differ). */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(REPO, 'node_modules', '.cache', 'collapse-bench', 'bundles');
const ESBUILD_VERSION = (createRequire(import.meta.url)('esbuild/package.json') as { version: string }).version;

/** A definition file to bundle: its path and the hash of everything it imports (registry hashes). */
export interface BundleInput {
  /** Absolute path of a task.ts or method.ts. */
  file: string;
  /** The registry's hash of the definition's folder and the files it imports outside harness/. */
  hash: string;
}

export interface CellBundle {
  /** Folder of the built modules. */
  dir: string;
  /** The child's entry (harness/worker.ts, bundled). */
  worker: string;
  /** The import-probe entry (harness/probe.ts, bundled). */
  probe: string;
  /** Bundled module of each definition file, by its absolute source path. */
  modules: Map<string, string>;
}

let harnessSourcesHash: Promise<string> | undefined;

/**
 * Bundles the worker, the import probe and the given definitions. The folder name is a hash of
 * every input (harness sources, each definition's hash, the esbuild version), so concurrent
 * commands agree on it and a rebuild happens only when code changed.
 */
export async function bundleDefinitions(inputs: readonly BundleInput[]): Promise<CellBundle> {
  harnessSourcesHash ??= hashHarnessSources();
  const sorted = [...inputs].sort((a, b) => (a.file < b.file ? -1 : 1));
  const key = sha256Hex([ESBUILD_VERSION, await harnessSourcesHash, ...sorted.flatMap((i) => [i.file, i.hash])].join('\n')).slice(0, 24);
  const dir = join(CACHE, key);
  const names = new Map<string, string>();
  sorted.forEach((input, i) => {
    names.set(input.file, `def-${i}-${entryName(input.file)}`);
  });
  const bundle: CellBundle = {
    dir,
    worker: join(dir, 'cell-worker.mjs'),
    probe: join(dir, 'import-probe.mjs'),
    modules: new Map(sorted.map((input) => [input.file, join(dir, `${names.get(input.file)}.mjs`)])),
  };
  if (existsSync(join(dir, 'complete'))) {
    touch(dir);
    return bundle;
  }

  mkdirSync(CACHE, { recursive: true });
  pruneUnused();
  const staging = mkdtempSync(join(CACHE, `.building-${key}-`));
  try {
    await build({
      entryPoints: [
        { in: fileURLToPath(new URL('./worker.ts', import.meta.url)), out: 'cell-worker' },
        { in: fileURLToPath(new URL('./probe.ts', import.meta.url)), out: 'import-probe' },
        ...sorted.map((input) => ({
          in: input.file.endsWith('.py') ? `${PYTHON_ENTRY}${input.file}` : input.file,
          out: names.get(input.file)!,
        })),
      ],
      plugins: [pythonEntries],
      bundle: true,
      splitting: true, // harness modules shared by the worker and the definitions load once
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external', // npm packages load from node_modules, as under tsx
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunk-[hash]',
      logLevel: 'silent',
    });
    writeFileSync(join(staging, 'complete'), '');
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another command built the same sources at the same time: theirs is identical.
      if (!existsSync(join(dir, 'complete'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return bundle;
}

/** Entry-point prefix of a Python method (its method.py path follows): bundled as pythonEntries generates it. */
const PYTHON_ENTRY = 'python-method:';

/**
 * A Python method's bundle entry: a module whose default export is the definition
 * harness/python-method.ts builds from the folder's method.json (the hooks talk to the method's
 * Python process, harness/python/collapse_bench.py).
 */
const pythonEntries: Plugin = {
  name: 'python-method-entries',
  setup(build) {
    build.onResolve({ filter: /^python-method:/ }, (args) => ({ path: args.path.slice(PYTHON_ENTRY.length), namespace: 'python-method' }));
    build.onLoad({ filter: /.*/, namespace: 'python-method' }, (args) => {
      const harness = fileURLToPath(new URL('.', import.meta.url));
      const shim = join(harness, 'python', 'collapse_bench.py');
      return {
        contents: `import { pythonMethod } from ${JSON.stringify(join(harness, 'python-method.ts'))};\nexport default pythonMethod(${JSON.stringify(dirname(args.path))}, ${JSON.stringify(shim)});\n`,
        loader: 'ts',
        resolveDir: harness,
      };
    });
  },
};

/** Marks a bundle as in use (its `complete` file's time), so pruning keeps it. */
export function touch(dir: string): void {
  const now = new Date();
  try {
    utimesSync(join(dir, 'complete'), now, now);
  } catch {
    // pruned meanwhile: the next command rebuilds it
  }
}

/** Bundles unused for a day: every code change (and every test fixture) makes a new one. */
const UNUSED_MS = 24 * 3600 * 1000;

function pruneUnused(): void {
  for (const name of readdirSync(CACHE)) {
    const marker = join(CACHE, name, 'complete');
    try {
      const unused = Date.now() - statSync(existsSync(marker) ? marker : join(CACHE, name)).mtimeMs;
      if (unused > UNUSED_MS) rmSync(join(CACHE, name), { recursive: true, force: true });
    } catch {
      // removed by a concurrent command
    }
  }
}

async function hashHarnessSources(): Promise<string> {
  const harness = fileURLToPath(new URL('.', import.meta.url));
  const files = (await readdir(harness, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.test.ts'))
    .map((d) => join(d.parentPath, d.name))
    .sort();
  const parts: string[] = [];
  for (const file of files) parts.push(relative(harness, file), sha256Hex(await readFile(file)));
  return sha256Hex(parts.join('\n'));
}

function entryName(file: string): string {
  return relative(REPO, file)
    .split(sep)
    .slice(-2)
    .join('-')
    .replace(/\.(ts|py)$/, '')
    .replace(/[^A-Za-z0-9-]/g, '_');
}

/** Limits of one sandboxed child. */
export interface SandboxLimits {
  /** V8 heap cap (--max-old-space-size), MiB. */
  heapMb: number;
  /** Resident memory cap enforced by the parent (Linux), MiB. */
  rssMb: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { heapMb: 4096, rssMb: 8192 };

/** Node's permission flag: `--permission` from Node 22.13/23.5, `--experimental-permission` before. */
const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';

export interface SandboxedProcess {
  execArgv: string[];
  env: NodeJS.ProcessEnv;
  /** The child's own temporary folder, the only place it may write; remove it when the child is gone. */
  tmp: string;
}

/**
 * Flags and environment for a child that may read `readable` (besides the bundle and the npm
 * packages) and write only a fresh temporary folder. `addons`: allow native addons (the native
 * TF.js backends are addons; the wasm and cpu backends need none).
 */
export function sandboxedProcess(
  bundle: CellBundle,
  readable: readonly string[],
  limits: SandboxLimits,
  addons = false,
  childProcesses = false,
): SandboxedProcess {
  const tmp = mkdtempSync(join(tmpdir(), 'collapse-bench-cell-'));
  const read = [bundle.dir, join(REPO, 'node_modules'), join(REPO, 'package.json'), tmp, ...readable.map((p) => resolve(p))];
  const execArgv = [
    PERMISSION_FLAG,
    ...read.map((path) => `--allow-fs-read=${path}`),
    `--allow-fs-write=${tmp}`,
    ...(addons ? ['--allow-addons'] : []),
    // A Python method's cells start its Python process (confined by harness/python/collapse_bench.py).
    ...(childProcesses ? ['--allow-child-process'] : []),
    `--max-old-space-size=${limits.heapMb}`,
    '--no-warnings=ExperimentalWarning',
  ];
  return { execArgv, env: childEnvironment(tmp), tmp };
}

/** Only what Node and the numeric libraries need: no tokens, no CI or cloud variables. */
function childEnvironment(tmp: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HOME: tmp, TMPDIR: tmp, TMP: tmp, TEMP: tmp };
  for (const name of ['PATH', 'LANG', 'LC_ALL', 'TZ']) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

/** Resident set size of a process in MiB (Linux /proc), or undefined where it cannot be read. */
export async function residentMb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
