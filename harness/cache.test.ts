/**
 * A record counts only under its own name: file name `<id>.json`, id the hash of its key. A
 * record copied under a second name, or with its seed edited, would otherwise be scored as
 * another seed. Every reader of a results folder refuses it, naming the file.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ResultStore, parseRecordFile, writeFileAtomic } from './cache.ts';
import { cellId } from './cells.ts';
import { readCellFiles } from './publish.ts';
import { ROOT, type Entry, type Registry } from './registry.ts';
import { InputError } from './params.ts';
import { resultRecordJsonSchema, type CellKey, type ResultRecord } from './schema.ts';
import type { AnyTask, AnyMethod } from './types.ts';
import { readFolder, readResults } from '../scripts/output.ts';
import { testRecord } from './testing/records.ts';

const work = mkdtempSync(join(tmpdir(), 'cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function record(seed: number): ResultRecord {
  const key: CellKey = { task: 't', taskParams: { n: 1 }, method: 'm', methodParams: {}, seed };
  return testRecord(key, { metrics: { err: { mean: [0, seed], se: [0, 0], n: [1, 1] } } });
}

/** A registry under which the records above are current (staleReason reads only ids and hashes). */
const registry: Registry = {
  root: ROOT,
  tasks: [{ definition: { id: 't' }, folder: 'benchmarks/t', hash: 'task-0' } as unknown as Entry<AnyTask>],
  methods: [{ definition: { id: 'm' }, folder: 'methods/m', hash: 'method-0' } as unknown as Entry<AnyMethod>],
  harnessHashOf: () => 'harness-0',
};

let count = 0;
let store: ResultStore;
const seeds = [0, 1, 2].map(record);
beforeEach(() => {
  store = new ResultStore(join(work, `run-${count++}`));
  for (const r of seeds) store.write(r);
});
const fileOf = (id: string) => join(store.cellsDir, `${id}.json`);
const copyName = 'ffffffffffffffffffff.json';
/** Every reader of a whole results folder: they must all refuse the same files with the same message. */
const folderReaders: [string, () => unknown][] = [
  ['ResultStore.readAll', () => store.readAll()],
  ['readCellFiles (publish, merge, restore)', () => readCellFiles(store.dir)],
  ['readResults (score, report, verify)', () => readResults(store.dir)],
];

describe('a results folder', () => {
  it('reads back what was written, one file per cell named by its id, no temporary files left', () => {
    expect(readdirSync(store.cellsDir).sort()).toEqual(seeds.map((r) => `${r.id}.json`).sort());
    expect(store.readAll()).toEqual([...seeds].sort((a, b) => (a.id < b.id ? -1 : 1)));
  });

  for (const [name, read] of folderReaders) {
    it(`${name}: refuses a record copied under a second file name, naming the file`, () => {
      copyFileSync(fileOf(seeds[0].id), join(store.cellsDir, copyName));
      expect(read).toThrow(InputError);
      expect(read).toThrow(
        `${join(store.cellsDir, copyName)}: file name does not match the record id ${seeds[0].id} (a copied or renamed record would count as extra seeds; the file must be named ${seeds[0].id}.json)`,
      );
    });

    it(`${name}: refuses a record whose seed was edited without renaming it, naming the file`, () => {
      const edited = { ...seeds[1], key: { ...seeds[1].key, seed: 7 } };
      writeFileSync(fileOf(seeds[1].id), JSON.stringify(edited));
      expect(read).toThrow(
        `${fileOf(seeds[1].id)}: record id ${seeds[1].id} is not the hash of its key (${cellId(edited.key)}): the key was edited after the record was computed (e.g. its seed), so its numbers are not that key's`,
      );
    });
  }

  it('refuses a copy whose id was edited to match its new file name: the id is then not the hash of the key', () => {
    writeFileSync(join(store.cellsDir, copyName), JSON.stringify({ ...seeds[0], id: copyName.replace('.json', '') }));
    expect(() => store.readAll()).toThrow(
      `${join(store.cellsDir, copyName)}: record id ${copyName.replace('.json', '')} is not the hash of its key (${seeds[0].id})`,
    );
  });

  it('a copy and a re-seeded copy are both caught even when they would pass as seeds 3 and 4', () => {
    // The trick that scored 6 seeds out of 3 cells: copies renamed to the ids of new seeds.
    const forged = [3, 4].map((seed) => ({ ...seeds[0], id: cellId({ ...seeds[0].key, seed }) }));
    for (const f of forged) writeFileSync(fileOf(f.id), JSON.stringify(f));
    const first = forged.map((f) => f.id).sort()[0]; // files are read in name order
    expect(() => store.readAll()).toThrow(`${fileOf(first)}: record id ${first} is not the hash of its key (${seeds[0].id})`);
  });

  it('run’s scoring (readFolder) leaves a misnamed copy out as unreadable and scores each cell once', () => {
    copyFileSync(fileOf(seeds[0].id), join(store.cellsDir, copyName));
    const folder = readFolder(store.dir, registry);
    expect(folder.current.map((r) => r.key.seed)).toEqual([0, 1, 2]);
    expect(folder.stale).toEqual([]);
    expect(folder.unreadable).toEqual([
      {
        file: join(store.cellsDir, copyName),
        reason: `${join(store.cellsDir, copyName)}: file name does not match the record id ${seeds[0].id} (a copied or renamed record would count as extra seeds; the file must be named ${seeds[0].id}.json)`,
      },
    ]);
  });
});

describe('a single record file given by path', () => {
  it('may have any file name (it cannot count twice), but its id must still be the hash of its key', () => {
    const single = join(work, 'downloaded-record.json');
    writeFileSync(single, JSON.stringify(seeds[2]));
    expect(readResults(single)).toEqual([seeds[2]]);
    expect(() => parseRecordFile(single)).toThrow(`${single}: file name does not match the record id ${seeds[2].id}`);
    writeFileSync(single, JSON.stringify({ ...seeds[2], key: { ...seeds[2].key, seed: 0 } }));
    expect(() => readResults(single)).toThrow(`${single}: record id ${seeds[2].id} is not the hash of its key (${seeds[0].id})`);
  });
});

describe('ResultStore.read', () => {
  it('returns a cell’s own record', () => {
    expect(store.read(seeds[0].id)).toEqual(seeds[0]);
  });

  it('treats another cell’s record under this cell’s name as absent, and the rewrite repairs the file', () => {
    copyFileSync(fileOf(seeds[0].id), fileOf(seeds[1].id));
    expect(store.read(seeds[1].id)).toBeUndefined();
    store.write(seeds[1]);
    expect(store.read(seeds[1].id)).toEqual(seeds[1]);
    expect(store.readAll()).toHaveLength(3);
  });

  it('treats a record whose key was edited as absent', () => {
    writeFileSync(fileOf(seeds[2].id), JSON.stringify({ ...seeds[2], key: { ...seeds[2].key, seed: 9 } }));
    expect(store.read(seeds[2].id)).toBeUndefined();
  });

  it('treats a missing, corrupt or schema-invalid file as absent', () => {
    expect(store.read('0123456789abcdef0123')).toBeUndefined();
    writeFileSync(fileOf(seeds[0].id), '{ half a rec');
    expect(store.read(seeds[0].id)).toBeUndefined();
    writeFileSync(fileOf(seeds[1].id), JSON.stringify({ ...seeds[1], status: 'exploded' }));
    expect(store.read(seeds[1].id)).toBeUndefined();
  });
});

describe('writeFileAtomic', () => {
  it('writes the exact text, replaces an existing file, and leaves no temporary file beside it', () => {
    const dir = join(work, 'atomic');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'scores.json');
    writeFileAtomic(path, 'first\n');
    writeFileAtomic(path, '{"second":true}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"second":true}\n');
    expect(readdirSync(dir)).toEqual(['scores.json']);
  });
});

describe('the record JSON Schema', () => {
  it('results/result-record.schema.json is the schema `collapse-bench schema` prints (regenerate it when the schema changes)', () => {
    const file = readFileSync(join(ROOT, 'results', 'result-record.schema.json'), 'utf8');
    expect(file).toBe(`${JSON.stringify(resultRecordJsonSchema(), null, 1)}\n`);
    const schema = JSON.parse(file) as { properties: Record<string, { enum?: string[] }> };
    expect(schema.properties.failure.enum).toEqual(['error', 'crash']);
  });
});
