import type { EC2Client, EC2ClientConfig, RunInstancesCommandInput } from '@aws-sdk/client-ec2';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');

export interface Ec2ApiOptions {
  region: string;
  /** another EC2 endpoint (tests, VPC endpoints); default the region's */
  endpoint?: string;
  /** static credentials; absent means the SDK's normal chain (env, profile, SSO, instance role) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface LaunchSpec {
  imageId: string;
  instanceType: string;
  /** the instance's boot script, plain text (base64-encoded here) */
  userData: string;
  subnetId?: string;
  securityGroupIds?: string[];
  keyName?: string;
  iamInstanceProfile?: string;
  /** most USD per hour to pay; absent: up to the on-demand price (AWS's default) */
  maxPriceUsd?: number;
  /** tags on the instance */
  tags: Record<string, string>;
}

/**
 * The three EC2 calls the spot substrate makes, through @aws-sdk/client-ec2
 * (EC2's query protocol: form-encoded actions, XML replies):
 *   RunInstances             one one-time spot instance, IMDSv2 required
 *   TerminateInstances       instances we no longer want
 *   DescribeSpotPriceHistory the current spot price of the instance type
 * SDK retries are off: the substrate decides what to retry and when.
 */
export class Ec2Api {
  private readonly config: EC2ClientConfig;
  /**
   * The SDK and its client, loaded on first call: @aws-sdk/client-ec2 costs
   * about half a second of CPU to load, and the dispatcher imports this module
   * (through the spot substrate) in every process, spot configured or not.
   */
  private loaded: Promise<{ sdk: Ec2Sdk; client: EC2Client }> | undefined;

  constructor(opts: Ec2ApiOptions) {
    const config: EC2ClientConfig = { region: opts.region, maxAttempts: 1 };
    if (opts.endpoint !== undefined) config.endpoint = opts.endpoint;
    if (opts.credentials !== undefined) config.credentials = opts.credentials;
    this.config = config;
  }

  private load(): Promise<{ sdk: Ec2Sdk; client: EC2Client }> {
    this.loaded ??= import('@aws-sdk/client-ec2').then((sdk) => ({ sdk, client: new sdk.EC2Client(this.config) }));
    return this.loaded;
  }

  /** launches one spot instance; resolves with its instance id */
  async launchSpot(spec: LaunchSpec): Promise<string> {
    const input: RunInstancesCommandInput = {
      ImageId: spec.imageId,
      InstanceType: spec.instanceType as RunInstancesCommandInput['InstanceType'],
      MinCount: 1,
      MaxCount: 1,
      UserData: Buffer.from(spec.userData, 'utf8').toString('base64'),
      InstanceMarketOptions: {
        MarketType: 'spot',
        SpotOptions: {
          SpotInstanceType: 'one-time',
          InstanceInterruptionBehavior: 'terminate',
          ...(spec.maxPriceUsd === undefined ? {} : { MaxPrice: String(spec.maxPriceUsd) }),
        },
      },
      // the worker reads the interruption notice over IMDSv2 only
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
      InstanceInitiatedShutdownBehavior: 'terminate',
      TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value })) }],
      ...(spec.subnetId === undefined ? {} : { SubnetId: spec.subnetId }),
      ...(spec.securityGroupIds === undefined ? {} : { SecurityGroupIds: spec.securityGroupIds }),
      ...(spec.keyName === undefined ? {} : { KeyName: spec.keyName }),
      ...(spec.iamInstanceProfile === undefined ? {} : { IamInstanceProfile: { Name: spec.iamInstanceProfile } }),
    };
    const { sdk, client } = await this.load();
    const reply = await client.send(new sdk.RunInstancesCommand(input));
    const id = reply.Instances?.[0]?.InstanceId;
    if (id === undefined) throw new Error('RunInstances answered without an instance id');
    return id;
  }

  async terminate(instanceIds: string[]): Promise<void> {
    if (instanceIds.length === 0) return;
    const { sdk, client } = await this.load();
    await client.send(new sdk.TerminateInstancesCommand({ InstanceIds: instanceIds }));
  }

  /**
   * The spot price of the instance type now, USD per hour: the latest price
   * in each availability zone, and of those the highest (where the instance
   * lands is EC2's choice, so the estimate takes the dearest). null when EC2
   * reports none.
   */
  async spotPriceUsdPerHour(instanceType: string): Promise<number | null> {
    const { sdk, client } = await this.load();
    const reply = await client.send(new sdk.DescribeSpotPriceHistoryCommand({
      InstanceTypes: [instanceType as RunInstancesCommandInput['InstanceType'] & string],
      ProductDescriptions: ['Linux/UNIX'],
      StartTime: new Date(),
    }));
    const latest = new Map<string, { at: number; usd: number }>();
    for (const p of reply.SpotPriceHistory ?? []) {
      const usd = Number(p.SpotPrice);
      if (!Number.isFinite(usd) || usd < 0) continue;
      const zone = p.AvailabilityZone ?? '';
      const at = p.Timestamp?.getTime() ?? 0;
      const seen = latest.get(zone);
      if (seen === undefined || at > seen.at) latest.set(zone, { at, usd });
    }
    if (latest.size === 0) return null;
    return Math.max(...Array.from(latest.values(), (v) => v.usd));
  }

  /** frees the client's sockets; one still loading is freed when it arrives */
  close(): void {
    this.loaded?.then(({ client }) => client.destroy(), () => undefined);
  }
}
