#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so tasks and methods are discovered and hashed
// from the very source files a contributor edits (no build step, no stale dist/).
import { register } from 'tsx/esm/api';

register();
await import('../scripts/cli.ts');
