export { buildApp, buildMetricsApp, type AppDeps } from './app.ts';
export { ApiKeysSource, readApiKeysFile } from './api-keys-source.ts';
export {
  ApiKeyAuthenticator,
  hashApiKey,
  parseApiKeys,
  type ApiKeyConfig,
  type Principal,
  type Scope,
} from './auth.ts';
export { RateLimiter } from './rate-limit.ts';
export type { EpochUnit } from './routes/ges-compat.ts';
