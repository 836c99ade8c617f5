/**
 * Each folder's committed wasm (wasm.generated.ts) is exactly what the pinned AssemblyScript
 * compiler makes of its assembly/index.ts: nobody edited a binary by hand and nobody forgot to
 * run `npm run build:kernels` after changing a source.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernels, generatedModule, generatedPath, KERNEL_BUILDS } from './build.ts';
import { MLP_WASM_BASE64 } from './mlp/wasm.generated.ts';
import { CHARLM_WASM_BASE64 } from './charlm/wasm.generated.ts';

const COMMITTED: Record<string, string> = { mlp: MLP_WASM_BASE64, charlm: CHARLM_WASM_BASE64 };

describe.each(KERNEL_BUILDS.map((build) => ({ folder: build.folder, build })))('kernels/$folder build', ({ build }) => {
  it('recompiling the AssemblyScript source gives the committed bytes and module text', async () => {
    const binary = await compileKernels(build);
    expect(Buffer.from(binary).toString('base64')).toBe(COMMITTED[build.folder]);
    expect(readFileSync(generatedPath(build), 'utf8')).toBe(generatedModule(build, binary));
  });

  it('the binary imports nothing and validates as WebAssembly with SIMD', () => {
    const bytes = Buffer.from(COMMITTED[build.folder], 'base64');
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(WebAssembly.Module.imports(new WebAssembly.Module(bytes))).toEqual([]);
  });
});
