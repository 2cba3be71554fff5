/** Topology names are camelCase; construct ids and output names read better in PascalCase. */
export const pascalCase = (camel: string): string => camel.charAt(0).toUpperCase() + camel.slice(1);
