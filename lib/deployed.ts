/**
 * The resource of this name, which must be deployed: some (the sandbox processor's function and
 * table) exist only with one processor (lib/config.ts), and reaching for an absent one is a
 * defect of the stack, not something to carry on without.
 */
export const deployed = <K extends string, V>(byName: Readonly<Partial<Record<K, V>>>, name: K): V => {
  const resource = byName[name];
  if (resource === undefined) throw new Error(`${name} is not deployed with the card processor this stack calls`);
  return resource;
};
