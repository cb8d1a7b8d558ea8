import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { awsClientConfig } from '../aws/aws-sdk-module.js';
import type { LambdaInvoker, LambdaSdkModule } from './lambda-invoker.js';

/**
 * The Invoke of lambda-invoker.ts through @aws-sdk/client-lambda. Outside the
 * main TypeScript program: tsconfig.aws.json checks it, scripts/build.mjs
 * emits it (aws/aws-sdk-module.ts says why).
 */
export const openLambdaInvoker: LambdaSdkModule['openLambdaInvoker'] = (opts): LambdaInvoker => {
  const client = new LambdaClient(awsClientConfig(opts));
  return {
    async invoke(request, signal) {
      const res = await client.send(new InvokeCommand({
        FunctionName: request.functionName,
        InvocationType: 'RequestResponse',
        Payload: request.payload,
        ...(request.qualifier === undefined ? {} : { Qualifier: request.qualifier }),
      }), { abortSignal: signal });
      return { payload: res.Payload, functionError: res.FunctionError };
    },
    destroy(): void {
      client.destroy();
    },
  };
};
