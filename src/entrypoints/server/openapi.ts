import { CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE } from './auth.js';

/**
 * The OpenAPI 3.1 document served at /openapi.json: the JSON API's paths and schemas (as
 * `registerApi` returns them) plus the server core's own routes and the two ways to sign in.
 */

export const OPENAPI_VERSION = '3.1.0';

const errorResponse = (description: string): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const coreSchemas: Record<string, unknown> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', description: 'Stable, machine-readable code (e.g. UNAUTHENTICATED, FORBIDDEN, MALFORMED_JSON).' },
          message: { type: 'string', description: 'What went wrong, for a person. Never contains document data or tokens.' },
        },
      },
    },
  },
  Health: {
    type: 'object',
    required: ['status', 'store'],
    properties: { status: { type: 'string', enum: ['ok', 'unavailable'] }, store: { type: 'string', enum: ['ok', 'unreachable'] } },
  },
};

const corePaths: Record<string, unknown> = {
  '/healthz': {
    get: {
      summary: 'Liveness and store reachability (no authentication)',
      operationId: 'health',
      security: [],
      responses: {
        '200': { description: 'Serving', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } },
        '503': {
          description: 'The store cannot be read',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } },
        },
      },
    },
  },
  '/openapi.json': {
    get: {
      summary: 'This document (viewer)',
      operationId: 'openapi',
      responses: { '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': {} } }, '401': errorResponse('No token') },
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics, text format 0.0.4 (viewer)',
      operationId: 'metrics',
      responses: {
        '200': { description: 'Metrics computed at scrape time', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } } },
        '401': errorResponse('No token'),
      },
    },
  },
  '/login': {
    post: {
      summary: 'Open a browser session with a token',
      description: `Sets the HttpOnly \`${SESSION_COOKIE}\` cookie (8 h idle expiry) and a readable CSRF cookie, then redirects to \`next\`.`,
      operationId: 'login',
      security: [],
      requestBody: {
        required: true,
        content: {
          'application/x-www-form-urlencoded': {
            schema: {
              type: 'object',
              required: ['token'],
              properties: { token: { type: 'string' }, next: { type: 'string', description: 'A local path to return to' } },
            },
          },
        },
      },
      responses: { '303': { description: 'Signed in' }, '401': { description: 'The token is not valid (the form again)' } },
    },
  },
  '/logout': {
    post: {
      summary: 'End the browser session',
      operationId: 'logout',
      responses: { '303': { description: 'Signed out; redirects to /login' }, '403': errorResponse('Missing CSRF token') },
    },
  },
};

export const buildOpenApi = (api: {
  readonly openapiPaths: Record<string, unknown>;
  readonly openapiSchemas: Record<string, unknown>;
}): Record<string, unknown> => ({
  openapi: OPENAPI_VERSION,
  info: {
    title: 'docroute',
    version: '0.1.0',
    description:
      'The docroute console and JSON API. Scripts send `Authorization: Bearer <token>` (tokens from `docroute tokens create`); ' +
      `browsers sign in at /login and send the \`${CSRF_HEADER}\` header (or the \`${CSRF_FIELD}\` form field) on unsafe requests. ` +
      'Roles: viewer < reviewer < admin.',
  },
  security: [{ bearerAuth: [] }, { sessionCookie: [] }],
  paths: { ...corePaths, ...api.openapiPaths },
  components: {
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token: `drt_` followed by 43 characters.' },
      sessionCookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'A browser session opened by POST /login.' },
    },
    schemas: { ...coreSchemas, ...api.openapiSchemas },
  },
});
