import { DescribeSpotPriceHistoryCommand, EC2Client, type RunInstancesCommandInput, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { awsClientConfig } from '../aws/aws-sdk-module.js';
import type { Ec2Calls, Ec2SdkModule, LaunchSpec } from './ec2-api.js';

/**
 * The EC2 calls of ec2-api.ts through @aws-sdk/client-ec2. Outside the main
 * TypeScript program: tsconfig.aws.json checks it, scripts/build.mjs emits it
 * (aws/aws-sdk-module.ts says why).
 */
export const openEc2Calls: Ec2SdkModule['openEc2Calls'] = (opts): Ec2Calls => {
  const client = new EC2Client(awsClientConfig(opts));
  return {
    async launchSpot(spec: LaunchSpec): Promise<string> {
      const reply = await client.send(new RunInstancesCommand(runInstancesInput(spec)));
      const id = reply.Instances?.[0]?.InstanceId;
      if (id === undefined) throw new Error('RunInstances answered without an instance id');
      return id;
    },
    async terminate(instanceIds: string[]): Promise<void> {
      await client.send(new TerminateInstancesCommand({ InstanceIds: instanceIds }));
    },
    async spotPriceUsdPerHour(instanceType: string): Promise<number | null> {
      const reply = await client.send(new DescribeSpotPriceHistoryCommand({
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
    },
    close(): void {
      client.destroy();
    },
  };
};

function runInstancesInput(spec: LaunchSpec): RunInstancesCommandInput {
  return {
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
}
