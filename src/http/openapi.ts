import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RouteCatalog } from './route.ts';

const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string(),
  code: z.string(),
  errors: z.array(z.object({ field: z.string(), reason: z.string() })),
  requestId: z.string(),
});

type Json = Record<string, unknown>;

/** Rewrites every `$ref` in `value` through `rename`. */
function rewriteRefs(value: unknown, rename: (ref: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, rename));
  if (!value || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, item] of Object.entries(value))
    out[key] = key === '$ref' && typeof item === 'string' ? rename(item) : rewriteRefs(item, rename);
  return out;
}

/**
 * zod writes shared and recursive parts (the scoring rules' `when` with `all`/`any`/`not`) to a
 * `$defs` inside each schema, referred to as `#/$defs/…`, which only resolves from that schema's
 * own root: embedded in an OpenAPI document, generators fail on it. Each definition moves to
 * `components/schemas` under its registered name (`.meta({ id })`), or a name from its content's
 * hash, so the same part met in many routes is one component.
 */
function hoistDefinitions(
  schema: Json,
  components: Record<string, unknown>,
  digests: Map<string, string>,
): Json {
  const { $defs, ...rest } = schema as Json & { $defs?: Record<string, unknown> };
  if (!$defs) return rest;
  const names = new Map<string, string>();
  for (const [name, definition] of Object.entries($defs)) {
    const digest = createHash('sha256').update(JSON.stringify(definition)).digest('hex').slice(0, 10);
    let target = name.startsWith('__schema') ? `Schema_${digest}` : name;
    if (digests.has(target) && digests.get(target) !== digest) target = `${target}_${digest}`;
    digests.set(target, digest);
    names.set(name, target);
  }
  const rename = (ref: string) => {
    const match = /^#\/\$defs\/(.+)$/.exec(ref);
    const target = match?.[1] ? names.get(match[1]) : undefined;
    return target ? `#/components/schemas/${target}` : ref;
  };
  for (const [name, definition] of Object.entries($defs))
    components[names.get(name) as string] = rewriteRefs(definition, rename);
  return rewriteRefs(rest, rename) as Json;
}

function jsonSchemaWith(components: Record<string, unknown>) {
  const digests = new Map<string, string>();
  return (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
    return hoistDefinitions(rest, components, digests);
  };
}

/** OpenAPI 3.1 from the route catalog: the same zod schemas that validate requests. */
export function buildOpenApiDocument(
  catalog: RouteCatalog,
  info: { version: string; serverUrl?: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  const jsonSchema = jsonSchemaWith(schemas);
  schemas.Problem = jsonSchema(problemSchema, 'output');
  for (const route of catalog) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [location, schema] of [
      ['path', route.params],
      ['query', route.query],
    ] as const) {
      if (!schema) continue;
      const json = jsonSchema(schema, 'input') as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, property] of Object.entries(json.properties ?? {})) {
        parameters.push({
          name,
          in: location,
          required: location === 'path' || (json.required ?? []).includes(name),
          schema: property,
        });
      }
    }
    for (const header of route.headers ?? []) {
      parameters.push({
        name: header.name,
        in: 'header',
        required: header.required ?? false,
        description: header.description,
        schema: { type: 'string' },
      });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      const contentType = response.contentType ?? 'application/json';
      responses[status] = {
        description: response.description,
        ...(response.schema || contentType !== 'application/json'
          ? {
              content: {
                [contentType]: response.schema ? { schema: jsonSchema(response.schema, 'output') } : {},
              },
            }
          : {}),
      };
    }
    responses.default = {
      description: 'An error, as RFC 9457 problem details',
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
    // Either credential works: an API key, or the console's session cookie.
    const security =
      route.auth === 'public' || route.auth === 'webhook' ? [] : [{ bearer: [] }, { session: [] }];
    const operations = paths[path] ?? {};
    paths[path] = operations;
    operations[route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
            },
          }
        : {}),
      responses,
      security,
      'x-leadloop-auth': route.auth,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Leadloop API',
      version: info.version,
      description:
        'Lead ingestion, qualification and scoring. Authenticate with `Authorization: Bearer <api key>`; webhooks are signed per the Standard Webhooks spec. Errors are RFC 9457 problem details naming the field and the reason.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A workspace API key (scopes admin, ingest, read) or an organisation key (scope org).',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'leadloop_session',
          description:
            'The console session (POST /v1/session). Requests that change something also send `x-csrf-token` from the session; roles admin, member, viewer.',
        },
      },
    },
    paths,
  };
}
