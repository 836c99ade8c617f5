/**
 * The committed wasm (wasm.generated.ts) is exactly what the pinned AssemblyScript compiler
 * makes of kernels/mlp/assembly/index.ts: nobody edited the binary by hand and nobody forgot to
 * run `npm run build:kernels` after changing the source.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernels, generatedModule, generatedPath, KERNEL_BUILDS } from '../build.ts';
import { MLP_WASM_BASE64 } from './wasm.generated.ts';

describe('kernels/mlp build', () => {
  const build = KERNEL_BUILDS.find((b) => b.folder === 'mlp')!;

  it('recompiling the AssemblyScript source gives the committed bytes and module text', async () => {
    const binary = await compileKernels(build);
    expect(Buffer.from(binary).toString('base64')).toBe(MLP_WASM_BASE64);
    expect(readFileSync(generatedPath(build), 'utf8')).toBe(generatedModule(build, binary));
  });

  it('the binary imports nothing and validates as WebAssembly with SIMD', () => {
    const bytes = Buffer.from(MLP_WASM_BASE64, 'base64');
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(WebAssembly.Module.imports(new WebAssembly.Module(bytes))).toEqual([]);
  });
});
