// For the package build only: `schema: { hide: true }` (serve-console.ts) is @fastify/swagger's
// addition to FastifySchema, which the services that document their routes load; service-kit does not.
import 'fastify';

declare module 'fastify' {
  interface FastifySchema {
    hide?: boolean;
  }
}
