/**
 * The two modules that call the AWS SDKs (spot/ec2-sdk.ts, lambda/lambda-sdk.ts)
 * sit outside the main TypeScript program: @aws-sdk/client-ec2 and
 * client-lambda bring about 1,600 declaration files, more than half of what
 * tsc would otherwise read, and every build paid to parse them. Those two
 * modules are type-checked on their own (tsconfig.aws.json, in parallel with
 * the main program) against the contracts the substrates declare here and in
 * their folders, and emitted by scripts/build.mjs. The substrates load them on
 * first use, which also spares every process that never calls AWS the half
 * second of CPU the SDKs cost to load.
 */

/** Where and as whom an SDK client talks to AWS. */
export interface AwsClientOptions {
  region: string;
  /** another endpoint (tests, VPC endpoints); default the region's */
  endpoint?: string;
  /** static credentials; absent means the SDK's normal chain (env, profile, SSO, instance role) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** An SDK client's settings: SDK retries off, since the substrate decides what to retry and when. */
export function awsClientConfig(opts: AwsClientOptions): AwsClientOptions & { maxAttempts: number } {
  return {
    region: opts.region,
    maxAttempts: 1,
    ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
    ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
  };
}

/**
 * Imports one of the SDK modules. The specifier is a URL value, not a literal,
 * so the main program does not follow it into the SDK's types; `T` is the
 * contract tsconfig.aws.json checks the module's export against.
 */
export async function importAwsModule<T>(url: URL): Promise<T> {
  return (await import(url.href)) as T;
}
