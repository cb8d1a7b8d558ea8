import { PacketFSError } from '../errors.js';
import { indexPath } from '../schema/field-path.js';
import type { PricingModel } from '../scheduler/capabilities.js';
import type { Substrate } from '../substrates/substrate.js';
import type { RemotePricing, RemoteSubstrateOptions } from '../substrates/http-compute/remote-substrate.js';
import { CloudflareSubstrate } from '../substrates/cloudflare/cloudflare-substrate.js';
import { CloudRunSubstrate } from '../substrates/cloudrun/cloudrun-substrate.js';
import { FlySubstrate } from '../substrates/fly/fly-substrate.js';
import { LambdaSubstrate } from '../substrates/lambda/lambda-substrate.js';
import { VercelSubstrate } from '../substrates/vercel/vercel-substrate.js';
import { SpotSubstrate } from '../substrates/spot/spot-substrate.js';
import type { PricingEntry, SpotEntry, SubstrateEntry } from '../schema/config-schema.js';

export interface BuildOptions {
  /** origin under which runtimes reach this dispatcher's /v1/blobs (config `public_origin`) */
  publicOrigin?: string;
  /** where `*_env` names are looked up; default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * Checked config entries → substrate instances. Secrets are read from the
 * environment here, once; a named variable that is unset is an error naming
 * the config field, because starting without the secret would fail every
 * job (or, for a token, send unauthenticated requests).
 */
export function buildSubstrates(entries: readonly SubstrateEntry[], opts: BuildOptions = {}): Substrate[] {
  const env = opts.env ?? process.env;
  return entries.map((entry, i) => {
    const at = indexPath('substrates', i);
    const secret = (name: string, field: string): string => {
      const value = env[name];
      if (value === undefined || value === '') {
        // field is a plain dotted path such as machines.api_token_env
        throw new PacketFSError('INVALID_REQUEST', `${at}.${field} names ${name}, but ${name} is not set`, { path: `${at}.${field}` });
      }
      return value;
    };
    const optionalSecret = (name: string | undefined, field: string): string | undefined => (name === undefined ? undefined : secret(name, field));
    if (entry.type === 'spot') return buildSpot(entry, at, opts, secret, optionalSecret);
    const common: RemoteSubstrateOptions = {
      name: entry.name,
      ...(opts.publicOrigin === undefined ? {} : { publicOrigin: opts.publicOrigin }),
      ...(entry.pricing === undefined ? {} : { pricing: remotePricing(entry.pricing) }),
      ...(entry.limits === undefined ? {} : { limits: entry.limits }),
      ...(entry.latency_ms === undefined ? {} : { latencyMs: entry.latency_ms }),
    };
    switch (entry.type) {
      case 'cloudflare':
      case 'vercel': {
        const token = optionalSecret(entry.token_env, 'token_env');
        const o = { ...common, url: entry.url, ...(token === undefined ? {} : { token }) };
        return entry.type === 'cloudflare' ? new CloudflareSubstrate(o) : new VercelSubstrate(o);
      }
      case 'lambda': {
        return new LambdaSubstrate({
          ...common, region: entry.region, functionName: entry.function_name,
          ...(entry.qualifier === undefined ? {} : { qualifier: entry.qualifier }),
          ...(entry.endpoint === undefined ? {} : { endpoint: entry.endpoint }),
          ...awsCredentials(entry.credentials_env, secret, optionalSecret),
        });
      }
      case 'fly': {
        const token = optionalSecret(entry.token_env, 'token_env');
        const m = entry.machines;
        return new FlySubstrate({
          ...common, url: entry.url, ...(token === undefined ? {} : { token }),
          ...(m === undefined ? {} : {
            machines: {
              app: m.app, apiToken: secret(m.api_token_env, 'machines.api_token_env'), min: m.min, max: m.max,
              ...(m.api_url === undefined ? {} : { apiUrl: m.api_url }),
              ...(m.jobs_per_machine === undefined ? {} : { jobsPerMachine: m.jobs_per_machine }),
              ...(m.idle_stop_s === undefined ? {} : { idleStopMs: m.idle_stop_s * 1000 }),
            },
          }),
        });
      }
      case 'cloudrun': {
        const token = optionalSecret(entry.id_token_env, 'id_token_env');
        return new CloudRunSubstrate({
          ...common, url: entry.url,
          ...(token !== undefined ? { idToken: { token } } : entry.metadata_url === undefined ? {} : { idToken: { metadataUrl: entry.metadata_url } }),
        });
      }
      default: {
        // the config checker admits only the types above; this keeps the switch exhaustive when one is added
        const unknownType: never = entry;
        throw new PacketFSError('INVALID_REQUEST', `${at}.type ${JSON.stringify((unknownType as { type: unknown }).type)} is not a substrate type`, { path: `${at}.type` });
      }
    }
  });
}

function buildSpot(
  entry: SpotEntry, at: string, opts: BuildOptions,
  secret: (name: string, field: string) => string, optionalSecret: (name: string | undefined, field: string) => string | undefined,
): SpotSubstrate {
  const coordinatorUrl = entry.coordinator_url ?? (opts.publicOrigin === undefined ? undefined : opts.publicOrigin.replace(/^http/, 'ws'));
  if (coordinatorUrl === undefined) {
    throw new PacketFSError('INVALID_REQUEST', `${at}.coordinator_url is needed (or public_origin): the URL spot instances reach this dispatcher at`, { path: `${at}.coordinator_url` });
  }
  return new SpotSubstrate({
    name: entry.name, region: entry.region, imageId: entry.image_id, instanceType: entry.instance_type,
    maxInstances: entry.max_instances, coordinatorUrl,
    ...(entry.slots_per_instance === undefined ? {} : { slotsPerInstance: entry.slots_per_instance }),
    ...(entry.idle_terminate_s === undefined ? {} : { idleTerminateMs: entry.idle_terminate_s * 1000 }),
    ...(entry.boot_timeout_s === undefined ? {} : { bootTimeoutMs: entry.boot_timeout_s * 1000 }),
    ...(entry.max_price_usd === undefined ? {} : { maxPriceUsd: entry.max_price_usd }),
    ...(entry.subnet_id === undefined ? {} : { subnetId: entry.subnet_id }),
    ...(entry.security_group_ids === undefined ? {} : { securityGroupIds: entry.security_group_ids }),
    ...(entry.key_name === undefined ? {} : { keyName: entry.key_name }),
    ...(entry.iam_instance_profile === undefined ? {} : { iamInstanceProfile: entry.iam_instance_profile }),
    ...(entry.worker_command === undefined ? {} : { workerCommand: entry.worker_command }),
    ...(entry.endpoint === undefined ? {} : { endpoint: entry.endpoint }),
    ...(entry.max_memory_mb === undefined ? {} : { maxMemoryMb: entry.max_memory_mb }),
    ...(entry.latency_ms === undefined ? {} : { latencyMs: entry.latency_ms }),
    ...awsCredentials(entry.credentials_env, secret, optionalSecret),
  });
}

/** AWS static credentials from the variables `credentials_env` names; none: the SDK's own chain */
function awsCredentials(
  c: SpotEntry['credentials_env'],
  secret: (name: string, field: string) => string, optionalSecret: (name: string | undefined, field: string) => string | undefined,
): { credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } {
  if (c === undefined) return {};
  const sessionToken = optionalSecret(c.session_token, 'credentials_env.session_token');
  return {
    credentials: {
      accessKeyId: secret(c.access_key_id, 'credentials_env.access_key_id'),
      secretAccessKey: secret(c.secret_access_key, 'credentials_env.secret_access_key'),
      ...(sessionToken === undefined ? {} : { sessionToken }),
    },
  };
}

/** Config pricing (flat, all optional) → the adapter's override; fields left out keep the type's defaults. */
function remotePricing(p: PricingEntry): Partial<RemotePricing> {
  const out: Partial<RemotePricing> = {};
  if (p.model !== undefined) out.pricing = pricingModel(p);
  if (p.free_tier !== undefined) out.free_tier = p.free_tier;
  if (p.cost_per_hour_usd !== undefined) out.cost_per_hour_usd = p.cost_per_hour_usd;
  return out;
}

/** checkSubstrates has made sure the model's own rate is present. */
function pricingModel(p: PricingEntry): PricingModel {
  switch (p.model!) {
    case 'free': return { model: 'free' };
    case 'per_hour': return { model: 'per_hour', usd_per_hour: p.usd_per_hour! };
    case 'per_invocation': return { model: 'per_invocation', usd_per_invocation: p.usd_per_invocation! };
    case 'per_gb_second': return { model: 'per_gb_second', usd_per_gb_second: p.usd_per_gb_second!, ...(p.usd_per_request === undefined ? {} : { usd_per_request: p.usd_per_request }) };
  }
}
