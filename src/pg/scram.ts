// SCRAM-SHA-256 (RFC 5802, RFC 7677), the server's side, as PostgreSQL speaks it (its "SASL
// Authentication" chapter): the password never crosses the wire and is never stored; each side
// proves it knows it. Channel binding (SCRAM-SHA-256-PLUS) is not offered, over TLS either:
// clients send "n,," (or "y,," over TLS).
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM = 'SCRAM-SHA-256';
const ITERATIONS = 4096;

/** The keys derived from a user's password (computed once per user, with a random salt). */
export interface ScramKeys {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();

export function scramKeys(password: string, salt = randomBytes(16), iterations = ITERATIONS): ScramKeys {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  return {
    salt,
    iterations,
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/** One exchange: the client's first message in, the server's first out; the client's final in, the server's final out. */
export class ScramExchange {
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  constructor(private readonly keys: ScramKeys) {}

  /** The server-first-message, or undefined when the client's message is malformed. */
  first(clientFirst: string): string | undefined {
    // gs2 header: "n,," (no channel binding) or "y,," (client supports it, server does not offer it).
    const m = /^[ny],(?:a=[^,]*)?,(n=[^,]*,r=([^,]+)(?:,.*)?)$/.exec(clientFirst);
    if (!m) return undefined;
    this.clientFirstBare = m[1];
    this.nonce = m[2] + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.keys.salt.toString('base64')},i=${this.keys.iterations}`;
    return this.serverFirst;
  }

  /** The server-final-message when the proof is right, undefined when it is not. */
  final(clientFinal: string): string | undefined {
    const m = /^(c=([^,]*),r=([^,]*)(?:,.*?)?),p=([A-Za-z0-9+/=]+)$/.exec(clientFinal);
    if (!m || m[3] !== this.nonce || (m[2] !== 'biws' && m[2] !== 'eSws')) return undefined;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${m[1]}`;
    const proof = Buffer.from(m[4], 'base64');
    const signature = hmac(this.keys.storedKey, authMessage);
    if (proof.length !== signature.length) return undefined;
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ signature[i];
    if (!timingSafeEqual(sha256(clientKey), this.keys.storedKey)) return undefined;
    return `v=${hmac(this.keys.serverKey, authMessage).toString('base64')}`;
  }
}
