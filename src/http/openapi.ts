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

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** OpenAPI 3.1 from the route catalog: the same zod schemas that validate requests. */
export function buildOpenApiDocument(
  catalog: RouteCatalog,
  info: { version: string; serverUrl?: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
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
      content: { 'application/problem+json': { schema: jsonSchema(problemSchema, 'output') } },
    };
    const security = route.auth === 'public' || route.auth === 'webhook' ? [] : [{ bearer: [] }];
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
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A workspace API key (scopes admin, ingest, read) or an organisation key (scope org).',
        },
      },
    },
    paths,
  };
}
