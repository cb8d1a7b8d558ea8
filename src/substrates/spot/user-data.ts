/**
 * The boot script of a spot instance: it starts `packetfs worker` as a
 * volunteer node of this dispatcher, with a join token minted for that one
 * instance (revoked when the instance goes) and the interruption watch on.
 * The AMI must have Node 20 and the `packetfs` command (or set
 * `worker_command`). The token travels in an environment variable, not on
 * the command line, so it does not show in `ps`.
 */
export interface UserDataSpec {
  /** ws(s):// URL of this dispatcher's node socket, as the instance reaches it */
  coordinatorUrl: string;
  joinToken: string;
  slots: number;
  /** the command that runs packetfs; default `packetfs` */
  workerCommand?: string;
}

export function spotUserData(spec: UserDataSpec): string {
  const command = spec.workerCommand ?? 'packetfs';
  return [
    '#!/bin/sh',
    'set -eu',
    `export PACKETFS_NODE_TOKEN=${shellQuote(spec.joinToken)}`,
    `exec ${command} worker --coordinator ${shellQuote(spec.coordinatorUrl)} --slots ${spec.slots} --spot`,
    '',
  ].join('\n');
}

/** One shell word, whatever it holds. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
