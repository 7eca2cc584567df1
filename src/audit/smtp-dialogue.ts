import { connect, type Socket } from 'node:net';

export interface Reply {
  code: number;
  lines: string[];
}

/**
 * A plain SMTP command/reply dialogue over one TCP connection, for probes: every read has a
 * deadline, replies are bounded, and nothing is sent that the caller did not write.
 */
export class SmtpDialogue {
  private buffer = '';
  private waiting: ((reply: Reply | Error) => void) | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      if (this.buffer.length > 64 * 1024) this.fail(new Error('the server sent an oversized reply'));
      this.deliver();
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  static open(host: string, port: number, timeoutMs: number): Promise<SmtpDialogue> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new SmtpDialogue(socket, timeoutMs));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiting;
    this.waiting = undefined;
    waiter?.(this.failure);
  }

  private deliver(): void {
    if (!this.waiting) return;
    const lines = this.buffer.split('\r\n');
    for (let i = 0; i < lines.length - 1; i++) {
      const m = /^(\d{3})([ -])/.exec(lines[i] as string) ?? /^(\d{3})$/.exec(lines[i] as string);
      if (m && m[2] !== '-') {
        const replyLines = lines.slice(0, i + 1);
        this.buffer = lines.slice(i + 1).join('\r\n');
        const waiter = this.waiting;
        this.waiting = undefined;
        waiter({ code: Number(m[1]), lines: replyLines.map((l) => l.slice(4)) });
        return;
      }
    }
  }

  /** The next reply; rejects on timeout or a closed connection. */
  read(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const timer = setTimeout(() => this.fail(new Error(`no reply within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiting = (reply) => {
        clearTimeout(timer);
        if (reply instanceof Error) reject(reply);
        else resolve(reply);
      };
      this.deliver();
    });
  }

  async command(line: string): Promise<Reply> {
    if (/[\r\n]/.test(line)) throw new Error('an SMTP command is one line');
    this.socket.write(`${line}\r\n`);
    return this.read();
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
