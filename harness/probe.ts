/**
 * The import probe: a sandboxed child (harness/sandbox.ts) that imports definition modules one
 * by one and reports each, so that a module whose top-level code exits the process, throws or
 * never finishes is named before any command imports it in its own process. It also reports each
 * definition's metadata as seen with an empty environment (harness/metadata.ts).
 */
import { definitionMetadata } from './metadata.ts';

process.on('message', async (message: { modules: string[] }) => {
  for (const module of message.modules) {
    process.send!({ importing: module });
    let metadata: Record<string, string> | undefined;
    try {
      const definition = ((await import(module)) as { default?: unknown }).default;
      if (definition !== null && typeof definition === 'object') metadata = definitionMetadata(definition);
    } catch (error) {
      process.send!({ failed: module, reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      continue;
    }
    process.send!({ imported: module, metadata });
  }
  process.send!({ done: true }, () => process.disconnect());
});
process.send!({ ready: true });
