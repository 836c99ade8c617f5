/**
 * Definitions are frozen once loaded, so that code running later in the same process (another
 * definition's top-level code, a hook) cannot swap a hook, a profile or a metric of a definition
 * whose records carry its own code hash. Parameter schemas (zod) are left alone: zod caches
 * inside them, and they are re-checked where keys are made.
 */
export function freezeDefinition<T extends object>(definition: T): T {
  freezePlain(definition, 0);
  return definition;
}

function freezePlain(value: unknown, depth: number): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value) || depth > 6) return;
  if (ArrayBuffer.isView(value)) return; // typed arrays cannot be frozen
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) return; // class instances (zod schemas)
  Object.freeze(value);
  for (const child of Object.values(value)) freezePlain(child, depth + 1);
}
