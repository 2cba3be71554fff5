import { tableDeployed, tables as tableSpecs, type FunctionSpec, type TableAccesses, type TableName } from '../lambdas/topology.js';
import type { StackConfig } from './config.js';

/**
 * The resource of this name, which must be deployed: some exist only with one processor (the
 * sandbox processor's function and table) or only with several regions (the keyOwners table),
 * and reaching for an absent one is a defect of the stack, not something to carry on without.
 */
export const deployed = <K extends string, V>(byName: Readonly<Partial<Record<K, V>>>, name: K): V => {
  const resource = byName[name];
  if (resource === undefined) throw new Error(`${name} is not deployed with the card processor and regions of this stack`);
  return resource;
};

/**
 * The tables of a function's topology entry that this deployment has. A function may list one
 * it uses only when deployed to several regions (keyOwners): with one region it gets neither
 * the table's name nor a grant on it, which is how it knows ownership is off.
 */
export const deployedTablesOf = (
  spec: FunctionSpec,
  config: Pick<StackConfig, 'processor' | 'regions'>,
): readonly (readonly [TableName, TableAccesses])[] => {
  const deployment = { processor: config.processor.kind, multiRegion: config.regions.kind === 'multi' };
  return (Object.entries(spec.tables) as [TableName, TableAccesses][]).filter(([table]) => tableDeployed(tableSpecs[table], deployment));
};
