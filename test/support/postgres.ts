import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './ferretdb';

/** A PostgreSQL cluster of this run: Debian's binaries, a temp data folder, a free loopback port. */
export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'loyalty_test';

/** Newest installed Debian PostgreSQL's bin folder (/usr/lib/postgresql/<major>/bin), or undefined. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length ? join(root, majors[0], 'bin') : undefined;
}

/** initdb and pg_ctl refuse to run as root: as root they run as the package's postgres user. */
function runAsOwner(command: string, args: string[]): void {
  const asRoot = userInfo().uid === 0;
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  execFileSync(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function ownerIds(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startPostgres(bin: string): Promise<RunningPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'postgres-'));
  const owner = ownerIds();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const user = owner ? 'postgres' : userInfo().username;
  let started = false;
  const stop = async (): Promise<void> => {
    try {
      if (started) runAsOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    runAsOwner(join(bin, 'initdb'), ['-D', data, '-U', user, '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync']);
    // loopback TCP only, the unix socket in our folder (not /var/run/postgresql, which may be absent or taken);
    // fsync off spares the shared disk: a throwaway cluster, and commit order and visibility do not depend on it
    writeFileSync(
      join(data, 'postgresql.auto.conf'),
      [`listen_addresses = '127.0.0.1'`, `port = ${port}`, `unix_socket_directories = '${dir}'`, 'fsync = off', 'max_connections = 200', ''].join('\n'),
    );
    if (owner) chownSync(join(data, 'postgresql.auto.conf'), owner.uid, owner.gid);
    // set first: a start that timed out may still leave a postmaster to stop
    started = true;
    runAsOwner(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    const admin = new Client({ host: '127.0.0.1', port, user, database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.end();
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { url: `postgres://${user}@127.0.0.1:${port}/${DATABASE}`, stop };
}
