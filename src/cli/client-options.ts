import { Option, type Command } from 'commander';
import { Client } from '../sdk/client.js';
import { httpUrl } from './arg-parsers.js';

export interface ClientFlags {
  server: string;
  token?: string;
}

const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** --server and --token, shared by every command that talks to a running server. */
export function withClientOptions(command: Command): Command {
  return command
    .addOption(new Option('--server <url>', 'dispatcher URL')
      .env('PACKETFS_SERVER').argParser(httpUrl).default(DEFAULT_SERVER))
    .addOption(new Option('--token <token>', 'bearer token').env('PACKETFS_TOKEN'));
}

export function clientFrom(flags: ClientFlags): Client {
  return new Client(flags.token === undefined || flags.token === '' ? { baseUrl: flags.server } : { baseUrl: flags.server, token: flags.token });
}
