// Public surface of the HTTP layer: the server factory (API, health, metrics, mounts), the OpenAPI builder
// and the signed printable pages mount.
export type { Catalog as AdminCatalog } from "./admin/index.ts";
export { apiRoutes } from "./api/index.ts";
export { buildOpenApi } from "./openapi.ts";
export { type PrintOptions, printMount } from "./print.ts";
export { type ApiOptions, createHttpServer, type HttpMount, type HttpServer, type HttpServerOptions } from "./server.ts";
