// A PostgreSQL wire-protocol server in front of one PGlite instance that many clients can use at once.
//
// PGlite is a single backend: one session, one transaction state, one unnamed statement. pglite-socket 0.2.17 queues
// client messages one at a time and interleaves clients between the Parse/Bind/Execute/Sync of an extended query,
// which corrupts concurrent use (measured: `portal "" does not exist` under two pg Pools with errors and transactions).
// Here a client owns the backend from its first message until the backend reports ReadyForQuery *idle*, so an
// extended-query sequence or a whole transaction runs without another client's messages in between; named prepared
// statements and portals get a per-connection prefix so clients cannot collide, and are closed when a client leaves.
import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'pino';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');

function queryMessage(sql: string): Buffer {
  return message('Q', cstr(sql));
}

/** A backend ErrorResponse, for refusals made by this server rather than by PostgreSQL. */
function errorResponse(severity: 'ERROR' | 'FATAL', code: string, text: string): Buffer {
  const fields = Buffer.concat([
    Buffer.from('S'), cstr(severity), Buffer.from('V'), cstr(severity),
    Buffer.from('C'), cstr(code), Buffer.from('M'), cstr(text), Buffer.from([0]),
  ]);
  return message('E', fields);
}

/** Reads a NUL-terminated string at `offset`; returns it and the offset after the NUL. */
function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new Error('malformed protocol message: unterminated string');
  return [buf.toString('utf8', offset, end), end + 1];
}

interface Client {
  id: number;
  socket: net.Socket;
  /** Received bytes not yet executed. */
  input: Buffer;
  started: boolean;
  closed: boolean;
  /** Names (already prefixed) of the named prepared statements this client created. */
  statements: Set<string>;
  /** Set once the backend has been cleaned up after this client left. */
  cleaned: boolean;
}

/** Watches the backend's output for message boundaries and remembers the last message and transaction status. */
class OutputScanner {
  private header = Buffer.alloc(5);
  private headerLength = 0;
  private bodyRemaining = 0;
  private type = 0;
  private firstBodyByte: number | undefined;
  lastType = 0;
  txStatus = 'I';

  reset(): void {
    this.lastType = 0;
  }

  scan(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.headerLength < 5) {
        this.header[this.headerLength++] = chunk[i++]!;
        if (this.headerLength === 5) {
          this.type = this.header[0]!;
          this.bodyRemaining = this.header.readInt32BE(1) - 4;
          this.firstBodyByte = undefined;
          if (this.bodyRemaining === 0) this.finish();
        }
        continue;
      }
      if (this.firstBodyByte === undefined) this.firstBodyByte = chunk[i];
      const take = Math.min(this.bodyRemaining, chunk.length - i);
      i += take;
      this.bodyRemaining -= take;
      if (this.bodyRemaining === 0) this.finish();
    }
  }

  private finish(): void {
    this.lastType = this.type;
    if (this.type === 0x5a /* Z */ && this.firstBodyByte !== undefined) this.txStatus = String.fromCharCode(this.firstBodyByte);
    this.headerLength = 0;
  }

  /** True when the last thing the backend said was ReadyForQuery outside a transaction block. */
  get idle(): boolean {
    return this.lastType === 0x5a && this.txStatus === 'I';
  }
}

export interface PGliteWireServerOptions {
  db: PGlite;
  host: string;
  port: number;
  log: Logger;
  /** A client idle inside a transaction blocks every other client; after this long it is disconnected. */
  idleInTransactionTimeoutMs?: number;
}

type Work = { kind: 'startup' | 'messages'; bytes: Buffer } | { kind: 'cleanup' };

export class PGliteWireServer {
  private readonly db: PGlite;
  private readonly log: Logger;
  private readonly idleInTransactionTimeoutMs: number;
  private server: net.Server | undefined;
  private readonly clients = new Set<Client>();
  private nextId = 1;
  /** The client whose request or transaction is in progress on the backend. */
  private owner: Client | undefined;
  private readonly waiting: Client[] = [];
  private pumping: Promise<void> | undefined;
  private readonly scanner = new OutputScanner();
  private idleTimer: NodeJS.Timeout | undefined;
  private backendIdle = true;
  /** After close() the caller may close PGlite: nothing may touch it any more. */
  private stopped = false;

  constructor(private readonly opts: PGliteWireServerOptions) {
    this.db = opts.db;
    this.log = opts.log;
    this.idleInTransactionTimeoutMs = opts.idleInTransactionTimeoutMs ?? 60_000;
  }

  async listen(): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err }, 'embedded PostgreSQL listener failed'));
    return (server.address() as net.AddressInfo).port;
  }

  /** Stops accepting, disconnects every client (rolling back what they left open) and waits for the backend to settle. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const listenerClosed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const clientsClosed = [...this.clients].map(
      (client) => new Promise<void>((resolve) => (client.socket.destroyed && client.closed ? resolve() : client.socket.once('close', () => resolve()))),
    );
    for (const client of this.clients) client.socket.destroy();
    await Promise.all([listenerClosed, ...clientsClosed]);
    while (this.pumping) await this.pumping;
    clearTimeout(this.idleTimer);
    this.stopped = true;
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const client: Client = {
      id: this.nextId++,
      socket,
      input: Buffer.alloc(0),
      started: false,
      closed: false,
      statements: new Set(),
      cleaned: false,
    };
    this.clients.add(client);
    socket.on('data', (data) => this.receive(client, data));
    socket.on('error', (err) => this.log.debug({ err, client: client.id }, 'client socket error'));
    socket.on('close', () => this.disconnected(client));
  }

  private receive(client: Client, data: Buffer): void {
    if (client.closed) return;
    client.input = client.input.length ? Buffer.concat([client.input, data]) : data;
    if (!client.started && !this.handlePreStartup(client)) return;
    this.schedule(client);
  }

  /** Answers SSL/GSS/cancel requests without the backend. Returns false when the client was closed. */
  private handlePreStartup(client: Client): boolean {
    while (!client.started && client.input.length >= 8) {
      const length = client.input.readInt32BE(0);
      const code = client.input.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        client.socket.write('N'); // no encryption on a loopback development server
        client.input = client.input.subarray(8);
      } else if (code === CANCEL_REQUEST) {
        // There is one backend and no way to interrupt it: drop the request as a busy server may.
        client.socket.end();
        return false;
      } else if (code !== PROTOCOL_3 || length < 8 || length > 10_000) {
        client.socket.end(errorResponse('FATAL', '0A000', `unsupported frontend protocol or malformed startup packet`));
        return false;
      } else {
        break;
      }
    }
    return true;
  }

  private hasWork(client: Client): boolean {
    if (client.closed) {
      const leftOpen = this.owner === client && !this.backendIdle;
      return !client.cleaned && (leftOpen || client.statements.size > 0);
    }
    if (client.input.length < 5) return false;
    if (!client.started) return client.input.length >= client.input.readInt32BE(0);
    return client.input.length >= 1 + client.input.readInt32BE(1);
  }

  private schedule(client: Client): void {
    if (client !== this.owner && this.hasWork(client) && !this.waiting.includes(client)) this.waiting.push(client);
    this.kick();
  }

  private kick(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      // Work may have arrived while the last step finished.
      if ((this.owner && this.hasWork(this.owner)) || (!this.owner && this.waiting.length > 0)) this.kick();
    });
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (!this.owner) {
        const next = this.waiting.shift();
        if (!next) return;
        this.owner = next;
      }
      const client = this.owner;
      clearTimeout(this.idleTimer);
      const work = this.takeWork(client);
      if (!work) {
        if (this.backendIdle || client.closed) {
          this.owner = undefined;
          continue;
        }
        // Mid-transaction with nothing to run: everyone else waits until this client continues or is cut off.
        this.idleTimer = setTimeout(() => this.cutOff(client), this.idleInTransactionTimeoutMs);
        this.idleTimer.unref();
        return;
      }
      await this.execute(client, work);
      if (this.backendIdle) {
        this.owner = undefined;
        if (this.hasWork(client)) this.waiting.push(client);
      }
    }
  }

  private takeWork(client: Client): Work | undefined {
    if (client.closed) {
      if (!this.hasWork(client)) return undefined;
      client.cleaned = true;
      return { kind: 'cleanup' };
    }
    if (!client.started) {
      if (!this.hasWork(client)) return undefined;
      const length = client.input.readInt32BE(0);
      const bytes = client.input.subarray(0, length);
      client.input = client.input.subarray(length);
      client.started = true;
      return { kind: 'startup', bytes };
    }
    const parts: Buffer[] = [];
    let offset = 0;
    while (client.input.length - offset >= 5) {
      const length = 1 + client.input.readInt32BE(offset + 1);
      if (client.input.length - offset < length) break;
      const msg = client.input.subarray(offset, offset + length);
      offset += length;
      if (msg[0] === 0x58 /* X: Terminate */) {
        client.input = Buffer.alloc(0);
        client.socket.end();
        break;
      }
      parts.push(this.rewriteNames(client, msg));
    }
    client.input = client.input.subarray(offset);
    if (parts.length === 0) return undefined;
    return { kind: 'messages', bytes: Buffer.concat(parts) };
  }

  /** Gives named statements and portals a per-client prefix so that clients sharing one backend cannot collide. */
  private rewriteNames(client: Client, msg: Buffer): Buffer {
    const type = String.fromCharCode(msg[0]!);
    const prefix = `c${client.id}_`;
    const named = (name: string) => (name === '' ? '' : prefix + name);
    if (type === 'P') {
      const [name, rest] = readCString(msg, 5);
      if (name === '') return msg;
      client.statements.add(named(name));
      return message('P', Buffer.concat([cstr(named(name)), msg.subarray(rest)]));
    }
    if (type === 'B') {
      const [portal, afterPortal] = readCString(msg, 5);
      const [statement, rest] = readCString(msg, afterPortal);
      if (portal === '' && statement === '') return msg;
      return message('B', Buffer.concat([cstr(named(portal)), cstr(named(statement)), msg.subarray(rest)]));
    }
    if (type === 'D' || type === 'C') {
      const kind = msg.subarray(5, 6);
      const [name, rest] = readCString(msg, 6);
      if (name === '') return msg;
      if (type === 'C' && kind.toString() === 'S') client.statements.delete(named(name));
      return message(type, Buffer.concat([kind, cstr(named(name)), msg.subarray(rest)]));
    }
    if (type === 'E') {
      const [portal, rest] = readCString(msg, 5);
      if (portal === '') return msg;
      return message('E', Buffer.concat([cstr(named(portal)), msg.subarray(rest)]));
    }
    return msg;
  }

  private async run(bytes: Buffer, onData: (chunk: Uint8Array) => void): Promise<void> {
    this.scanner.reset();
    await this.db.runExclusive(() =>
      this.db.execProtocolRawStream(bytes, {
        onRawData: (chunk) => {
          this.scanner.scan(chunk);
          onData(chunk);
        },
      }),
    );
    this.backendIdle = this.scanner.idle;
  }

  private async execute(client: Client, work: Work): Promise<void> {
    try {
      if (work.kind === 'cleanup') {
        await this.cleanup(client);
        return;
      }
      await this.run(work.bytes, (chunk) => {
        // Buffer.from copies: the chunk is a view into WebAssembly memory that the next call overwrites.
        if (!client.closed) client.socket.write(Buffer.from(chunk));
      });
    } catch (err) {
      this.log.error({ err, client: client.id }, 'embedded PostgreSQL failed to run a client request');
      client.socket.destroy();
      await this.cleanup(client).catch((e: unknown) => this.log.error({ err: e }, 'embedded PostgreSQL clean-up failed'));
    }
  }

  /** Leaves the backend as if the client had never been there: ends its request, rolls back, drops its statements. */
  private async cleanup(client: Client): Promise<void> {
    const discard = () => undefined;
    if (!this.backendIdle) {
      // CopyFail ends a COPY FROM STDIN in progress (ignored otherwise); Sync ends an extended query.
      await this.run(Buffer.concat([message('f', cstr('client disconnected')), SYNC]), discard);
      if (!this.backendIdle) await this.run(queryMessage('ROLLBACK'), discard);
    }
    if (client.statements.size > 0) {
      const closes = [...client.statements].map((name) => message('C', Buffer.concat([Buffer.from('S'), cstr(name)])));
      client.statements.clear();
      await this.run(Buffer.concat([...closes, SYNC]), discard);
    }
    if (!this.backendIdle) {
      this.log.error({ client: client.id }, 'embedded PostgreSQL could not return the session to idle after a client left');
      this.backendIdle = true; // do not block every other client forever
    }
  }

  private cutOff(client: Client): void {
    if (this.owner !== client || client.closed) return;
    this.log.warn(
      { client: client.id, timeoutMs: this.idleInTransactionTimeoutMs },
      'disconnecting a client idle in a transaction: it was blocking the shared embedded PostgreSQL session',
    );
    client.socket.end(
      errorResponse('FATAL', '25P03', 'terminating connection due to idle-in-transaction timeout (embedded PostgreSQL is one shared session)'),
    );
    client.socket.destroy();
  }

  private disconnected(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    client.input = Buffer.alloc(0);
    this.clients.delete(client);
    const index = this.waiting.indexOf(client);
    if (index >= 0) this.waiting.splice(index, 1);
    // The owner is cleaned up by the pump (it may be mid-request right now); others only hold statements.
    if (this.owner === client) clearTimeout(this.idleTimer);
    else if (this.hasWork(client)) this.waiting.push(client);
    this.kick();
  }
}
