import { type AwsClientOptions, importAwsModule } from '../aws/aws-sdk-module.js';

export type Ec2ApiOptions = AwsClientOptions;

export interface LaunchSpec {
  imageId: string;
  instanceType: string;
  /** the instance's boot script, plain text (base64-encoded by the call) */
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
 * The three EC2 calls the spot substrate makes (EC2's query protocol:
 * form-encoded actions, XML replies), implemented with @aws-sdk/client-ec2 in
 * ec2-sdk.ts, which is type-checked against this contract on its own
 * (aws/aws-sdk-module.ts says why):
 *   launchSpot           RunInstances: one one-time spot instance, IMDSv2 required
 *   terminate            TerminateInstances: instances we no longer want
 *   spotPriceUsdPerHour  DescribeSpotPriceHistory: the current spot price of the
 *                        instance type in USD per hour, the highest of the latest
 *                        price in each availability zone (where the instance lands
 *                        is EC2's choice, so the estimate takes the dearest); null
 *                        when EC2 reports none
 */
export interface Ec2Calls {
  launchSpot(spec: LaunchSpec): Promise<string>;
  terminate(instanceIds: string[]): Promise<void>;
  spotPriceUsdPerHour(instanceType: string): Promise<number | null>;
  /** frees the client's sockets */
  close(): void;
}

/** What ec2-sdk.ts exports. */
export interface Ec2SdkModule {
  openEc2Calls(opts: Ec2ApiOptions): Ec2Calls;
}

/** The EC2 calls, with the SDK loaded on the first one. */
export class Ec2Api implements Ec2Calls {
  private loaded: Promise<Ec2Calls> | undefined;

  constructor(private readonly opts: Ec2ApiOptions) {}

  private load(): Promise<Ec2Calls> {
    this.loaded ??= importAwsModule<Ec2SdkModule>(new URL('./ec2-sdk.js', import.meta.url)).then((m) => m.openEc2Calls(this.opts));
    return this.loaded;
  }

  /** launches one spot instance; resolves with its instance id */
  async launchSpot(spec: LaunchSpec): Promise<string> {
    return (await this.load()).launchSpot(spec);
  }

  async terminate(instanceIds: string[]): Promise<void> {
    if (instanceIds.length === 0) return;
    await (await this.load()).terminate(instanceIds);
  }

  async spotPriceUsdPerHour(instanceType: string): Promise<number | null> {
    return (await this.load()).spotPriceUsdPerHour(instanceType);
  }

  /** frees the client's sockets; one still loading is freed when it arrives */
  close(): void {
    this.loaded?.then((calls) => calls.close(), () => undefined);
  }
}
