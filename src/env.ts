/**
 * The Worker's environment: `Env` is generated from wrangler.toml by `wrangler types`
 * (worker-configuration.d.ts, never hand-written). Secrets are not in wrangler.toml, and
 * every one of them is optional (a channel without its secret is off), so they are added
 * here as optional strings.
 */
export type SecretName =
  | 'RELEASE_KEYS'
  | 'SLACK_WEBHOOK_URL'
  | 'SLACK_SIGNING_SECRET'
  | 'SENTRY_DSN'
  | 'ALERT_WEBHOOK_URLS'
  | 'ALERT_WEBHOOK_SECRET'
  | 'CLOUDFLARE_API_TOKEN'
  | 'CLOUDFLARE_ZONE_ID'
  | 'OPERATOR_TOKENS'
  // The transparency log's signed-note private key (without it the log is off).
  | 'LOG_SIGNING_KEY';

export type MonitorEnv = Env & Partial<Record<SecretName, string>>;
