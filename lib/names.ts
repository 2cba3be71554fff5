/** Topology names are camelCase; construct ids and output names read better in PascalCase. */
export const pascalCase = (camel: string): string => camel.charAt(0).toUpperCase() + camel.slice(1);

/** camelCase to kebab-case, for names AWS shows to people: webhookEndpoints → webhook-endpoints. */
export const kebabCase = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
