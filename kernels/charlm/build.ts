/**
 * Rebuilds kernels/charlm/wasm.generated.ts from assembly/index.ts (the shared steps are in
 * kernels/build.ts; `npm run build:kernels` rebuilds every folder).
 *
 *   node --import tsx kernels/charlm/build.ts
 */
import { writeKernelModule } from '../build.ts';

console.log(await writeKernelModule('charlm'));
