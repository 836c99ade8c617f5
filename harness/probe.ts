/**
 * The import probe: a sandboxed child (harness/sandbox.ts) that imports definition modules one
 * by one and reports each, so that a module whose top-level code exits the process, throws or
 * never finishes is named before any command imports it in its own process.
 */
process.on('message', async (message: { modules: string[] }) => {
  for (const module of message.modules) {
    process.send!({ importing: module });
    try {
      await import(module);
    } catch (error) {
      process.send!({ failed: module, reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      continue;
    }
    process.send!({ imported: module });
  }
  process.send!({ done: true }, () => process.disconnect());
});
process.send!({ ready: true });
