/**
 * Runs planned cells: reuses current records from the store, records inapplicable cells as
 * skipped, and sends the rest to a pool of sandboxed child processes (harness/worker.ts via
 * harness/sandbox.ts), each cell under a time limit and a memory cap. A child loads one task and
 * one method only, so the runner starts a fresh child whenever the next cell's pair differs.
 * Every finished record is written by this process, before the next is awaited, so a killed run
 * resumes where it stopped. Records come back in plan order whatever the number of jobs, so
 * output does not depend on scheduling.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ResultRecord } from './schema.ts';
import { canonicalJson } from './hash.ts';
import type { PlannedCell } from './cells.ts';
import { definitionFile, type Registry } from './registry.ts';
import type { RunProvenance } from './provenance.ts';
import { type ResultStore, reusable } from './cache.ts';
import { makeRecord, recordedBackend, type CellJob } from './cell.ts';
import { pickBackend, type BackendName } from './backend.ts';
import { cellNeedsTfjs, cellUsesKernels, type KernelChoice } from './kernels.ts';
import { bundleDefinitions, DEFAULT_LIMITS, residentMb, sandboxedProcess, touch, type CellBundle, type SandboxLimits } from './sandbox.ts';
import type { WorkerMessage, WorkerRequest } from './worker.ts';

export interface EngineOptions {
  /** Parallel child processes. @default 1 */
  jobs?: number;
  /** Per-cell wall-clock limit in milliseconds; a cell past it is killed and recorded as `timeout`. @default 600_000 */
  timeoutMs?: number;
  /** Recompute cells even when a current record exists. @default false */
  force?: boolean;
  /** Throw at the first failed or timed-out cell instead of recording it. @default false */
  failFast?: boolean;
  /** Called once per cell as its record becomes available (reused ones included). */
  onRecord?: (record: ResultRecord, reused: boolean) => void;
  /**
   * TensorFlow.js backend for cells whose task or method uses it (`--backend`): a name of
   * BACKEND_NAMES forces it; omitted, the first that loads (harness/backend.ts). Started only
   * when such a cell is planned; a stored record from another backend is recomputed.
   */
  backend?: string;
  /** Whether tasks with fused kernels use them (`--kernels`; harness/kernels.ts). @default 'fused' */
  kernels?: KernelChoice;
  /** Memory caps of each cell's process. @default DEFAULT_LIMITS (harness/sandbox.ts) */
  limits?: SandboxLimits;
}

export async function runCells(
  cells: PlannedCell[],
  store: ResultStore,
  registry: Registry,
  provenance: RunProvenance,
  options: EngineOptions = {},
): Promise<ResultRecord[]> {
  const { jobs = 1, timeoutMs = 600_000, force = false, failFast = false, onRecord } = options;
  const records = new Map<string, ResultRecord>();
  const todo: CellJob[] = [];
  const kernelChoice = options.kernels ?? 'fused';
  const needsTfjs = (c: PlannedCell) =>
    !c.skipReason &&
    cellNeedsTfjs(
      c.task.definition,
      c.method.definition,
      c.key.taskParams,
      cellUsesKernels(c.task.definition, c.key.taskParams, kernelChoice),
    );
  const neural = cells.some(needsTfjs);
  const backend: BackendName | undefined = neural ? (await pickBackend({ backend: options.backend })).name : undefined;

  const finish = (record: ResultRecord, reused: boolean) => {
    if (!reused) store.write(record);
    records.set(record.id, record);
    onRecord?.(record, reused);
    if (failFast && (record.status === 'failed' || record.status === 'timeout')) {
      throw new Error(
        `cell ${record.id} (${record.key.task} × ${record.key.method}, seed ${record.key.seed}) ${record.status}: ${record.reason}`,
      );
    }
  };

  for (const cell of cells) {
    const job: CellJob = {
      root: registry.root,
      id: cell.id,
      key: cell.key,
      taskHash: cell.task.hash,
      methodHash: cell.method.hash,
      harnessHash: registry.harnessHashOf(cell.key.task, cell.key.method),
      provenance,
    };
    if (!cell.skipReason && cellUsesKernels(cell.task.definition, cell.key.taskParams, kernelChoice)) job.kernels = true;
    if (backend && needsTfjs(cell)) job.backend = backend;
    const stored = force ? undefined : store.read(cell.id);
    if (reusable(stored, cell, registry) && ((!job.backend && !job.kernels) || stored.provenance.backend === recordedBackend(job)))
      finish(stored, true);
    else if (cell.skipReason)
      finish(makeRecord(job, cell.task.definition, 'skipped', undefined, 0, new Date().toISOString(), cell.skipReason), false);
    else todo.push(job);
  }

  const planned = new Map(cells.map((c) => [c.id, c]));
  // Every definition of the registry, as the import probe bundled them (the same folder, built
  // once); a cell's process still imports only its own task's and method's modules.
  const bundle = todo.length > 0 ? await bundleDefinitions(definitionFiles(registry)) : undefined;
  const limits = options.limits ?? DEFAULT_LIMITS;
  // Neural cells first (TF.js or kernels: the longest by far): longest-first keeps the run's end
  // from being one long cell computing while the other workers idle. Stable otherwise.
  const expensive = (job: CellJob) => (job.backend !== undefined || job.kernels === true ? 0 : 1);
  const queue = todo.map((job) => ({ job, pair: pairOf(planned.get(job.id)!) })).sort((a, b) => expensive(a.job) - expensive(b.job));
  const held = new Map<string, number>(); // live children per pair, to spread pairs over workers
  const drop = (child: CellChild, kill = false): undefined => {
    held.set(child.pair, (held.get(child.pair) ?? 1) - 1);
    return retire(child, kill);
  };
  const workers: Promise<void>[] = [];
  let failure: unknown;
  for (let w = 0; w < Math.min(jobs, queue.length); w++) {
    workers.push(
      (async () => {
        let child: CellChild | undefined;
        try {
          while (queue.length > 0 && failure === undefined) {
            const job = takeNext(queue, child, held);
            const cell = planned.get(job.id)!;
            const request = workerRequest(job, cell, bundle!, registry.root);
            // One child per (task, method): it never holds another contribution's code.
            if (child && !child.process.connected) child = drop(child, true);
            if (child && child.pair !== pairOf(cell)) child = drop(child);
            if (!child) {
              child = spawnCellChild(bundle!, request, cell, registry.root, limits);
              held.set(child.pair, (held.get(child.pair) ?? 0) + 1);
            }
            const outcome = await runInChild(child, request, timeoutMs, limits);
            if (outcome.kind === 'record') {
              const problem = recordProblem(outcome.record, job);
              if (!problem) {
                finish(outcome.record, false);
                continue;
              }
              child = drop(child, true); // a process that files a bad record serves no further cell
              finish(makeRecord(job, cell.task.definition, 'failed', undefined, 0, new Date().toISOString(), problem, 'error'), false);
              continue;
            }
            if (outcome.kind === 'failed') {
              finish(
                makeRecord(job, cell.task.definition, 'failed', undefined, outcome.wallMs, outcome.startedAt, outcome.reason, 'error'),
                false,
              );
              continue;
            }
            // The child is gone or must go: record the cell, start a fresh child for the next.
            child = drop(child, true);
            const status = outcome.kind === 'timeout' ? 'timeout' : 'failed';
            finish(
              makeRecord(
                job,
                cell.task.definition,
                status,
                undefined,
                outcome.wallMs,
                outcome.startedAt,
                outcome.reason,
                status === 'failed' ? 'crash' : undefined,
              ),
              false,
            );
          }
        } catch (error) {
          failure ??= error;
        } finally {
          if (child) drop(child);
        }
      })(),
    );
  }
  await Promise.all(workers);
  if (failure !== undefined) throw failure;
  return cells.map((c) => records.get(c.id)!);
}

/**
 * Why a record sent by a cell's process cannot stand for the job, or undefined. The child's
 * record is checked against the schema and against what the parent asked for (cell, key, code
 * hashes), so a process cannot file numbers under another cell or another entry's code.
 */
function recordProblem(record: unknown, job: CellJob): string | undefined {
  const parsed = ResultRecord.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `the cell's process returned an invalid record (field ${issue.path.join('.') || '(root)'}: ${issue.message})`;
  }
  const r = parsed.data;
  if (r.id !== job.id || canonicalJson(r.key) !== canonicalJson(job.key)) return "the cell's process returned a record for another cell";
  if (
    r.provenance.taskHash !== job.taskHash ||
    r.provenance.methodHash !== job.methodHash ||
    r.provenance.harnessHash !== job.harnessHash
  ) {
    return "the cell's process returned a record with other code hashes than the cell's";
  }
  return undefined;
}

/** The task and method source files of a registry (its bundle's entries). */
export function definitionFiles(registry: Registry): { file: string; hash: string }[] {
  return [
    ...registry.tasks.map((t) => ({ entry: t, file: definitionFile(t, 'task') })),
    ...registry.methods.map((m) => ({ entry: m, file: definitionFile(m, 'method') })),
  ].map(({ entry, file }) => ({ file: join(registry.root, entry.folder, file), hash: entry.hash }));
}

/** A cell's (task, method) pair: what one child process may hold. */
function pairOf(cell: PlannedCell): string {
  return `${cell.task.folder}\n${cell.method.folder}`;
}

/**
 * The next job for a worker: one of its own child's pair if any is left (no new process), else the
 * first whose pair no other worker's child holds (two workers do not start a child for one pair),
 * else the first. Records are still returned in plan order.
 */
function takeNext(queue: { job: CellJob; pair: string }[], child: CellChild | undefined, held: ReadonlyMap<string, number>): CellJob {
  let at = child ? queue.findIndex((q) => q.pair === child.pair) : -1;
  if (at < 0) at = queue.findIndex((q) => !held.get(q.pair));
  return queue.splice(Math.max(at, 0), 1)[0].job;
}

function workerRequest(job: CellJob, cell: PlannedCell, bundle: CellBundle, root: string): WorkerRequest {
  return {
    job,
    taskModule: bundle.modules.get(join(root, cell.task.folder, 'task.ts'))!,
    methodModule: bundle.modules.get(join(root, cell.method.folder, definitionFile(cell.method, 'method')))!,
  };
}

interface CellChild {
  process: ChildProcess;
  /** The (task, method) pair it serves (pairOf). */
  pair: string;
  request: WorkerRequest;
  tmp: string;
  /** The definition source being imported, while the child imports it (for failure reasons). */
  importing?: string;
  /** Source path of each bundled module, to name it in reasons. */
  sources: Map<string, string>;
}

function spawnCellChild(bundle: CellBundle, request: WorkerRequest, cell: PlannedCell, root: string, limits: SandboxLimits): CellChild {
  const readable = [join(root, cell.task.folder), join(root, cell.method.folder)];
  const addons = request.job.backend === 'node' || request.job.backend === 'node-gpu';
  touch(bundle.dir);
  const sandbox = sandboxedProcess(bundle, readable, limits, addons, cell.method.language === 'python');
  // stdout goes to our stderr: a method's console output must not corrupt `--json` on stdout.
  const child = fork(bundle.worker, [], {
    execArgv: sandbox.execArgv,
    env: sandbox.env,
    cwd: sandbox.tmp,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  child.stdout?.pipe(process.stderr, { end: false });
  const sources = new Map([
    [request.taskModule, join(cell.task.folder, 'task.ts')],
    [request.methodModule, join(cell.method.folder, definitionFile(cell.method, 'method'))],
  ]);
  return { process: child, pair: pairOf(cell), request, tmp: sandbox.tmp, sources };
}

/** Ends a child (politely, or with SIGKILL when it must go) and removes its temporary folder. */
function retire(child: CellChild, kill = false): undefined {
  if (kill || !child.process.connected) child.process.kill('SIGKILL');
  else child.process.disconnect();
  const remove = () => rmSync(child.tmp, { recursive: true, force: true });
  if (child.process.exitCode !== null || child.process.signalCode !== null) remove();
  else child.process.once('exit', remove);
  return undefined;
}

type Outcome =
  | { kind: 'record'; record: ResultRecord }
  | { kind: 'timeout' | 'crash' | 'failed'; reason: string; wallMs: number; startedAt: string };

/** How often the parent reads a child's resident memory (Linux). */
const MEMORY_POLL_MS = 200;

function runInChild(child: CellChild, request: WorkerRequest, timeoutMs: number, limits: SandboxLimits): Promise<Outcome> {
  const startedAt = new Date().toISOString();
  const start = performance.now();
  const proc = child.process;
  return new Promise((resolve) => {
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      clearInterval(memory);
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(outcome);
    };
    const ended = (kind: 'timeout' | 'crash', reason: string) => done({ kind, reason, wallMs: performance.now() - start, startedAt });
    const where = () => (child.importing ? ` while importing ${child.importing}` : '');
    const onMessage = (message: WorkerMessage | ResultRecord) => {
      if ('ready' in message) return;
      if ('importing' in message) child.importing = child.sources.get(message.importing) ?? relative(process.cwd(), message.importing);
      else if ('imported' in message) child.importing = undefined;
      else if ('failed' in message) done({ kind: 'failed', reason: message.failed, wallMs: performance.now() - start, startedAt });
      else done({ kind: 'record', record: message });
    };
    const onExit = (code: number | null, signal: string | null) =>
      ended(
        'crash',
        `the cell's process ${signal ? `was killed (${signal})` : `exited with code ${code}`}${where()}${signal ? ', e.g. out of memory' : ''}`,
      );
    const timer = setTimeout(() => ended('timeout', `exceeded the per-cell time limit of ${timeoutMs / 1000} s${where()}`), timeoutMs);
    const memory = setInterval(async () => {
      const mb = proc.pid === undefined ? undefined : await residentMb(proc.pid);
      if (mb !== undefined && mb > limits.rssMb)
        ended('crash', `exceeded the per-cell memory cap of ${limits.rssMb} MiB (resident ${Math.round(mb)} MiB)${where()}`);
    }, MEMORY_POLL_MS);
    proc.on('message', onMessage);
    proc.on('exit', onExit);
    try {
      proc.send(request);
    } catch (error) {
      ended('crash', `the cell's process could not be reached: ${(error as Error).message}`);
    }
  });
}
