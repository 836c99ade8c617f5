/**
 * The TensorFlow.js compute backend of neural cells (ARCHITECTURE.md "Compute"). Statistical
 * cells never touch it: a cell process loads it only when the cell computes with TF.js (its task
 * or method declares `engine: 'tfjs'`, and the task's fused kernels do not replace it:
 * harness/kernels.ts `cellNeedsTfjs`), and its record names the backend
 * (`provenance.backend`, e.g. `tfjs-wasm`).
 *
 * Order at start-up, first that loads wins:
 * 1. `node-gpu`: `@tensorflow/tfjs-node-gpu` (libtensorflow with CUDA),
 * 2. `node`: `@tensorflow/tfjs-node` (libtensorflow on the CPU),
 * 3. `wasm`: `@tensorflow/tfjs-backend-wasm` (the default here; SIMD, one thread),
 * 4. `cpu`: the pure-JavaScript backend bundled with `@tensorflow/tfjs`.
 * The native packages download libtensorflow at install time from outside the npm registry,
 * so they are an opt-in (README "GPU / backends"); when absent they are simply skipped.
 * `--backend <name>` forces one. The parent process picks the backend once and sends its
 * name to every cell process (CellJob.backend), which loads exactly that one.
 *
 * Numbers are deterministic per backend (same backend, same cell → same bits), not across
 * backends: kernels sum in different orders, in float32.
 */
import type * as TF from '@tensorflow/tfjs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from './params.ts';
import type { AnyTask, AnyMethod } from './types.ts';

export type BackendName = 'node-gpu' | 'node' | 'wasm' | 'cpu';
/** In start-up order: the first that loads is used unless `--backend` names one. */
export const BACKEND_NAMES: readonly BackendName[] = ['node-gpu', 'node', 'wasm', 'cpu'];

/** How modules are imported; tests inject one to simulate absent or broken packages. */
export type ModuleLoader = (specifier: string) => Promise<unknown>;
const importModule: ModuleLoader = (specifier) => import(specifier);

const TFJS = '@tensorflow/tfjs';
/** The npm package behind each backend (`cpu` ships inside @tensorflow/tfjs). */
export const BACKEND_PACKAGES: Record<BackendName, string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: TFJS,
};
/** The name TensorFlow.js registers each backend under (both native packages say `tensorflow`). */
const TF_NAMES: Record<BackendName, string> = { 'node-gpu': 'tensorflow', node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

/** What a record's `provenance.backend` says for a TF.js cell, e.g. `tfjs-wasm`. */
export function backendLabel(name: BackendName): string {
  return `tfjs-${name}`;
}

/** The backend a record's `provenance.backend` names (`tfjs-wasm` → `wasm`); undefined for a statistical record. */
export function backendFromLabel(label: string): BackendName | undefined {
  return BACKEND_NAMES.find((name) => backendLabel(name) === label);
}

/** Whether a cell of this task (with these resolved parameters) and method runs TensorFlow.js (and so needs a backend). */
export function usesTfjs(
  task: Pick<AnyTask, 'engine'>,
  method: Pick<AnyMethod, 'engine'>,
  taskParams: Record<string, unknown> = {},
): boolean {
  const engine = typeof task.engine === 'function' ? task.engine(taskParams) : task.engine;
  return engine === 'tfjs' || method.engine === 'tfjs';
}

export class BackendUnavailable extends Error {
  constructor(
    readonly backend: BackendName,
    reason: string,
    readonly absent: boolean,
  ) {
    super(reason);
  }
}

let tf: typeof TF | undefined;
let active: BackendName | undefined;
let wasmPathsSet = false;

/**
 * Loads backend `name` and makes it TensorFlow.js's current backend (idempotent). Throws
 * BackendUnavailable when its package is absent (`absent`) or present but fails to load.
 */
export async function loadBackend(name: BackendName, load: ModuleLoader = importModule): Promise<BackendName> {
  const core = (await importOrExplain(TFJS, name, load)) as typeof TF;
  // Production mode: no debug checks, and no console banner from the cpu backend (a cell's
  // stdout is the CLI's, which must stay one JSON document under --json).
  core.env().set('PROD', true);
  if (name !== 'cpu') {
    const module = await importOrExplain(BACKEND_PACKAGES[name], name, load);
    if (name === 'wasm' && !wasmPathsSet) {
      // In Node the .wasm binaries are read from the package's dist folder, next to its entry
      // point (allowed once, before the backend first starts).
      const wasm = module as { setWasmPaths(prefix: string): void };
      wasm.setWasmPaths(`${dirname(fileURLToPath(import.meta.resolve(BACKEND_PACKAGES.wasm)))}/`);
      wasmPathsSet = true;
    }
  }
  let ok = false;
  try {
    ok = await core.setBackend(TF_NAMES[name]);
  } catch (error) {
    throw new BackendUnavailable(
      name,
      `${BACKEND_PACKAGES[name]} loaded but its backend failed to start: ${(error as Error).message}`,
      false,
    );
  }
  if (!ok)
    throw new BackendUnavailable(name, `${BACKEND_PACKAGES[name]} loaded but its backend "${TF_NAMES[name]}" failed to start`, false);
  tf = core;
  active = name;
  return name;
}

async function importOrExplain(specifier: string, name: BackendName, load: ModuleLoader): Promise<unknown> {
  try {
    return await load(specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const absent = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    throw new BackendUnavailable(
      name,
      absent ? `${specifier} is not installed` : `${specifier} failed to load: ${(error as Error).message}`,
      absent,
    );
  }
}

export interface PickOptions {
  /** A backend name to force (`--backend`); omitted: the first of BACKEND_NAMES that loads. */
  backend?: string;
  /** @default dynamic import */
  load?: ModuleLoader;
}

/** The backend in use after start-up: forced by name, or the first of BACKEND_NAMES that loads. */
export async function pickBackend(
  options: PickOptions = {},
): Promise<{ name: BackendName; skipped: { name: BackendName; reason: string }[] }> {
  const { backend, load = importModule } = options;
  if (backend !== undefined) {
    if (!(BACKEND_NAMES as readonly string[]).includes(backend)) {
      throw new InputError(`invalid --backend ${JSON.stringify(backend)} (known: ${BACKEND_NAMES.join(', ')})`);
    }
    try {
      return { name: await loadBackend(backend as BackendName, load), skipped: [] };
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      const available = await availableBackends(load, backend as BackendName);
      throw new InputError(`--backend ${backend} cannot be used: ${error.message} (available here: ${available.join(', ') || 'none'})`);
    }
  }
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const name of BACKEND_NAMES) {
    try {
      return { name: await loadBackend(name, load), skipped };
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      skipped.push({ name, reason: error.message });
    }
  }
  throw new Error(`no TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** Backends whose packages load here (each is tried; the active one is restored afterwards). */
async function availableBackends(load: ModuleLoader, except: BackendName): Promise<BackendName[]> {
  const before = active;
  const found: BackendName[] = [];
  for (const name of BACKEND_NAMES) {
    if (name === except) continue;
    try {
      await loadBackend(name, load);
      found.push(name);
    } catch {
      // not available here
    }
  }
  if (before !== undefined && active !== before) await loadBackend(before, load);
  return found;
}

/** The backend TensorFlow.js runs on in this process, or undefined before start-up. */
export function activeBackend(): BackendName | undefined {
  return active;
}

/**
 * The TensorFlow.js module, for tasks and methods that declare `engine: 'tfjs'`: the harness
 * has started the cell's backend before the cell runs. Import TensorFlow.js's types with
 * `import type * as TF from '@tensorflow/tfjs'` and its functions through this accessor, so
 * that loading the registry never loads TensorFlow.js.
 */
export function tfjs(): typeof TF {
  if (tf === undefined || active === undefined) {
    throw new Error(
      "TensorFlow.js is not started in this process: declare engine: 'tfjs' on the task or method (the harness then starts the backend), or call loadBackend() first",
    );
  }
  return tf;
}
