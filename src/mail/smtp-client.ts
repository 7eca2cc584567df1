import { connect as tcpConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { DeliveryError } from './transport.js';

/**
 * A lean SMTP client for bulk sending: one transaction per message with MAIL, RCPT and DATA
 * pipelined in a single write (RFC 2920) when the server offers PIPELINING, the message written
 * as one buffer (dot-stuffed only when needed). nodemailer moves each message through several
 * streams, which caps it well below the loopback SMTP ceiling here.
 */
export interface SmtpEndpoint {
  host: string;
  port: number;
  secure: boolean;
  /** Upgrade with STARTTLS when offered (certificates are verified unless `rejectUnauthorized` is false). */
  starttls: boolean;
  user?: string;
  pass?: string;
  rejectUnauthorized: boolean;
  timeoutMs: number;
  name: string;
}

export function endpointFromUrl(url: string): SmtpEndpoint {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  const tlsParam = u.searchParams.get('tls');
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || (secure ? 465 : 25)),
    secure,
    starttls: !secure && u.searchParams.get('starttls') !== 'false',
    ...(u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : {}),
    rejectUnauthorized: tlsParam !== 'insecure',
    timeoutMs: Number(u.searchParams.get('timeout') ?? 60_000),
    name: u.searchParams.get('name') ?? hostname(),
  };
}

interface Reply {
  code: number;
  text: string;
}

/** One SMTP connection, used for one transaction at a time. */
export class SmtpConnection {
  private socket: Socket;
  private buffer = '';
  private lines: string[] = [];
  private waiters: Array<{ resolve: (reply: Reply) => void; reject: (error: Error) => void }> = [];
  private replies: Reply[] = [];
  private failure: Error | undefined;
  pipelining = false;
  messages = 0;

  private constructor(
    socket: Socket,
    private readonly endpoint: SmtpEndpoint,
  ) {
    this.socket = socket;
    this.attach(socket);
  }

  static async open(endpoint: SmtpEndpoint): Promise<SmtpConnection> {
    const socket = endpoint.secure
      ? tlsConnect({
          host: endpoint.host,
          port: endpoint.port,
          servername: endpoint.host,
          rejectUnauthorized: endpoint.rejectUnauthorized,
        })
      : tcpConnect({ host: endpoint.host, port: endpoint.port });
    const connection = new SmtpConnection(socket, endpoint);
    await connection.expect(220, 'greeting');
    await connection.hello();
    return connection;
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true);
    socket.setTimeout(this.endpoint.timeoutMs, () =>
      this.fail(new DeliveryError(`SMTP timeout after ${this.endpoint.timeoutMs} ms`, false)),
    );
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new DeliveryError(`SMTP connection error: ${error.message}`, false)));
    socket.on('close', () => this.fail(new DeliveryError('SMTP connection closed', false)));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      this.lines.push(line);
      // The last line of a reply has a space (or nothing) after the code.
      if (/^\d{3}(?: |$)/.test(line)) {
        const reply = { code: Number(line.slice(0, 3)), text: this.lines.join('\n') };
        this.lines = [];
        const waiter = this.waiters.shift();
        if (waiter) waiter.resolve(reply);
        else this.replies.push(reply);
      }
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    this.socket.destroy();
  }

  get usable(): boolean {
    return this.failure === undefined;
  }

  private read(): Promise<Reply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private async expect(code: number, what: string): Promise<Reply> {
    const reply = await this.read();
    if (reply.code !== code) throw new DeliveryError(`${what}: ${reply.text}`, reply.code >= 500, reply.code);
    return reply;
  }

  private write(data: string | Buffer): void {
    this.socket.write(data);
  }

  private async hello(): Promise<void> {
    this.write(`EHLO ${this.endpoint.name}\r\n`);
    let reply = await this.expect(250, 'EHLO');
    if (this.endpoint.starttls && !this.endpoint.secure && /^250[ -]STARTTLS/im.test(reply.text)) {
      this.write('STARTTLS\r\n');
      await this.expect(220, 'STARTTLS');
      this.socket.removeAllListeners('data');
      this.socket.removeAllListeners('close');
      this.socket.removeAllListeners('error');
      this.socket.setTimeout(0);
      const secured = tlsConnect({
        socket: this.socket,
        servername: this.endpoint.host,
        rejectUnauthorized: this.endpoint.rejectUnauthorized,
      });
      this.socket = secured;
      this.attach(secured);
      await new Promise<void>((resolve, reject) => {
        secured.once('secureConnect', () => resolve());
        secured.once('error', reject);
      });
      this.write(`EHLO ${this.endpoint.name}\r\n`);
      reply = await this.expect(250, 'EHLO after STARTTLS');
    }
    this.pipelining = /^250[ -]PIPELINING/im.test(reply.text);
    if (this.endpoint.user !== undefined) {
      const token = Buffer.from(`\0${this.endpoint.user}\0${this.endpoint.pass ?? ''}`).toString('base64');
      this.write(`AUTH PLAIN ${token}\r\n`);
      await this.expect(235, 'AUTH');
    }
  }

  /** Sends one message; resolves with the server's final reply, rejects with a DeliveryError. */
  async send(from: string, to: string, data: Buffer): Promise<string> {
    if (this.failure) throw this.failure;
    this.messages++;
    const envelope = `MAIL FROM:<${from}>\r\nRCPT TO:<${to}>\r\nDATA\r\n`;
    let mail: Reply;
    let rcpt: Reply;
    let dataReply: Reply;
    if (this.pipelining) {
      this.write(envelope);
      [mail, rcpt, dataReply] = [await this.read(), await this.read(), await this.read()];
    } else {
      this.write(`MAIL FROM:<${from}>\r\n`);
      mail = await this.read();
      if (mail.code !== 250) return this.reset(mail, 'MAIL FROM');
      this.write(`RCPT TO:<${to}>\r\n`);
      rcpt = await this.read();
      if (rcpt.code !== 250 && rcpt.code !== 251) return this.reset(rcpt, 'RCPT TO');
      this.write('DATA\r\n');
      dataReply = await this.read();
    }
    if (mail.code !== 250) return this.reset(mail, 'MAIL FROM', dataReply);
    if (rcpt.code !== 250 && rcpt.code !== 251) return this.reset(rcpt, 'RCPT TO', dataReply);
    if (dataReply.code !== 354) return this.reset(dataReply, 'DATA');
    this.write(dotStuffed(data));
    const final = await this.read();
    if (final.code !== 250) throw new DeliveryError(final.text, final.code >= 500, final.code);
    return final.text;
  }

  /** After a refused step the transaction is reset, so the connection stays usable. */
  private async reset(reply: Reply, step: string, pendingData?: Reply): Promise<never> {
    if (pendingData?.code === 354) {
      // The server accepted DATA although a step failed: end it empty, then discard it.
      this.write('.\r\n');
      await this.read();
    }
    this.write('RSET\r\n');
    await this.read().catch(() => undefined);
    throw new DeliveryError(`${step}: ${reply.text}`, reply.code >= 500 && reply.code < 600, reply.code);
  }

  async quit(): Promise<void> {
    if (this.failure) return;
    this.write('QUIT\r\n');
    await Promise.race([this.read().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    this.socket.destroy();
  }
}

/** The message with leading dots doubled and the terminating `.` line (RFC 5321 4.5.2). */
export function dotStuffed(data: Buffer): Buffer {
  const needsStuffing = data[0] === 46 || data.includes('\r\n.');
  const body = needsStuffing
    ? Buffer.from((data[0] === 46 ? '.' : '') + data.toString('latin1').replace(/\r\n\./g, '\r\n..'), 'latin1')
    : data;
  const endsWithNewline = body.length >= 2 && body[body.length - 2] === 13 && body[body.length - 1] === 10;
  return Buffer.concat([body, Buffer.from(endsWithNewline ? '.\r\n' : '\r\n.\r\n')]);
}
