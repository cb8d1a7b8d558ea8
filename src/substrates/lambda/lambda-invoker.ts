import type { AwsClientOptions } from '../aws/aws-sdk-module.js';

/**
 * One synchronous (RequestResponse) Invoke, implemented with
 * @aws-sdk/client-lambda in lambda-sdk.ts, which is type-checked against this
 * contract on its own (aws/aws-sdk-module.ts says why). An SDK or network
 * error rejects with the SDK's error (its `name` says which, e.g.
 * TooManyRequestsException).
 */
export interface LambdaInvoker {
  invoke(request: { functionName: string; qualifier: string | undefined; payload: Uint8Array }, signal: AbortSignal): Promise<{
    /** the function's reply; absent when it sent none */
    payload: Uint8Array | undefined;
    /** set (X-Amz-Function-Error) when the function itself failed */
    functionError: string | undefined;
  }>;
  /** frees the client's sockets */
  destroy(): void;
}

/** What lambda-sdk.ts exports. */
export interface LambdaSdkModule {
  openLambdaInvoker(opts: AwsClientOptions): LambdaInvoker;
}
