import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiPath } from '../../scripts/openapi-file.js';
import { openApiTemplate } from '../../lambdas/contract/operations.js';

/**
 * Validates answers against the committed contract (openapi.json): the status must be one the
 * operation documents, the content type one of its media types, every header it marks required
 * present and matching, and the body its schema (JSON Schema 2020-12, $refs into components).
 * The integration harnesses run every answer they receive through it, so an answer the document
 * does not describe fails the test that got it.
 */

interface Schema {
  readonly [keyword: string]: unknown;
}
interface HeaderObject {
  readonly required?: boolean;
  readonly schema: Schema;
}
interface ResponseObject {
  readonly headers?: Readonly<Record<string, HeaderObject | { readonly $ref: string }>>;
  readonly content?: Readonly<Record<string, { readonly schema: Schema }>>;
}
interface OperationObject {
  readonly responses: Readonly<Record<string, ResponseObject | { readonly $ref: string }>>;
}
interface Document {
  readonly paths: Readonly<Record<string, Readonly<Record<string, OperationObject>>>>;
  readonly webhooks: Readonly<
    Record<string, { readonly post: { readonly requestBody: { readonly content: Record<string, { schema: Schema }> } } }>
  >;
  readonly components: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export const contract = JSON.parse(readFileSync(openApiPath, 'utf8')) as Document;

/** `#/components/schemas/X` is `contract#/$defs/schemas/X` in Ajv's registry. */
const rebased = (schema: Schema): Schema =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"contract#/$defs/schemas/')) as Schema;

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
// OpenAPI's own schema keywords, annotations only.
ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs']);
ajv.addSchema(rebased({ $id: 'contract', $defs: { schemas: contract.components.schemas } }));

const compiled = new Map<Schema, ValidateFunction>();
const validator = (schema: Schema): ValidateFunction => {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(rebased(schema));
    compiled.set(schema, validate);
  }
  return validate;
};

const resolved = <T>(value: T | { readonly $ref: string }): T => {
  if (typeof value !== 'object' || value === null || !('$ref' in value)) return value;
  const [, section = '', name = ''] = /^#\/components\/(\w+)\/(.+)$/.exec(value.$ref) ?? [];
  const target = contract.components[section]?.[name];
  if (target === undefined) throw new Error(`Unresolvable $ref ${value.$ref}`);
  return target as T;
};

export interface ObservedResponse {
  readonly status: number;
  /** Header names in any case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body as sent; empty for none. */
  readonly body: string;
}

const schemaErrors = (schema: Schema, value: unknown): string | undefined => {
  const validate = validator(schema);
  return validate(value) ? undefined : ajv.errorsText(validate.errors, { separator: '; ' });
};

/** What is wrong with an answer to `METHOD /template` in the contract's eyes; empty when nothing. */
export const contractViolations = (method: string, template: string, response: ObservedResponse): string[] => {
  const operation = contract.paths[openApiTemplate(template)]?.[method.toLowerCase()];
  if (operation === undefined) return [`${method} ${template} is not in the contract`];
  const documented = operation.responses[String(response.status)];
  if (documented === undefined) {
    return [
      `${method} ${template} answered ${response.status}, which the contract does not document (${Object.keys(operation.responses).join(', ')})`,
    ];
  }
  const described = resolved(documented);
  const violations: string[] = [];
  const headers = new Map(Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), value]));
  for (const [name, headerObject] of Object.entries(described.headers ?? {})) {
    const { required = false, schema } = resolved(headerObject);
    const value = headers.get(name.toLowerCase());
    if (value === undefined) {
      if (required) violations.push(`required header ${name} is missing`);
      continue;
    }
    const error = schemaErrors(schema, value);
    if (error !== undefined) violations.push(`header ${name}: ${error}`);
  }
  const mediaType = headers.get('content-type')?.split(';')[0]?.trim();
  const content = described.content ?? {};
  if (Object.keys(content).length === 0) return violations;
  const media = mediaType === undefined ? undefined : content[mediaType];
  if (media === undefined) return [...violations, `content type ${mediaType ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`];
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return [...violations, 'the body is not JSON'];
  }
  const error = schemaErrors(media.schema, body);
  return error === undefined ? violations : [...violations, `body: ${error}`];
};

/** Throws when the answer breaks the contract, naming every way it does. */
export const assertDocumented = (method: string, template: string, response: ObservedResponse): void => {
  const violations = contractViolations(method, template, response);
  if (violations.length > 0) {
    throw new Error(
      `${method} ${template} → ${response.status} breaks openapi.json:\n  ${violations.join('\n  ')}\n  body: ${response.body.slice(0, 500)}`,
    );
  }
};

/** What is wrong with a webhook body in the contract's eyes (the event schema of its type). */
export const webhookViolations = (body: string): string | undefined => {
  const event = JSON.parse(body) as { type?: string };
  const webhook = contract.webhooks[event.type ?? ''];
  if (webhook === undefined) return `no webhook is documented for type ${String(event.type)}`;
  const media = webhook.post.requestBody.content['application/json'];
  if (media === undefined) return 'the webhook documents no JSON body';
  return schemaErrors(media.schema, event);
};

/** The contract's template a request path falls under, e.g. /v1/charges/ch_1 → /v1/charges/{id}. */
export const templateOf = (path: string): string => {
  const template = Object.keys(contract.paths).find((candidate) => new RegExp(`^${candidate.replace(/\{\w+\}/g, '[^/]+')}$`).test(path));
  if (template === undefined) throw new Error(`${path} is under no path of openapi.json`);
  return template;
};

/**
 * A fetch for clients under test: every answer is checked against the contract before the
 * client reads it, so a client test is a contract test too.
 */
export const contractCheckedFetch = async (request: Request): Promise<Response> => {
  const response = await fetch(request);
  assertDocumented(request.method, templateOf(new URL(request.url).pathname), {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.clone().text(),
  });
  return response;
};

/** Reads a fetch Response once, checks it against the contract, and hands back its parts. */
export const documentedFetch = async (
  method: string,
  template: string,
  response: Response,
): Promise<{ readonly status: number; readonly headers: Headers; readonly text: string }> => {
  const text = await response.text();
  assertDocumented(method, template, { status: response.status, headers: Object.fromEntries(response.headers), body: text });
  return { status: response.status, headers: response.headers, text };
};
