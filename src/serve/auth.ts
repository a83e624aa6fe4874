// Who may read and act. A token (Authorization: Bearer) or a session cookie from POST /api/login
// (the token or the password, compared in constant time). Sessions live in memory: a restart
// signs everyone out.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface AuthSettings {
  token?: string;
  password?: string;
}

export const SESSION_COOKIE = 'strata_session';
const SESSION_MS = 12 * 3600_000;

export class Auth {
  private readonly sessions = new Map<string, number>();

  constructor(readonly settings: AuthSettings | undefined) {}

  get configured(): boolean {
    return Boolean(this.settings?.token || this.settings?.password);
  }

  /** Whether a secret someone typed or sent is the token or the password. */
  accepts(secret: string | undefined): boolean {
    if (!secret || !this.settings) return false;
    return [this.settings.token, this.settings.password].some((s) => s !== undefined && same(secret, s));
  }

  /** Whether a request's Authorization header or session cookie signs it in. */
  signedIn(authorization: string | undefined, session: string | undefined): boolean {
    const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
    if (bearer !== undefined && this.settings?.token !== undefined && same(bearer, this.settings.token)) return true;
    if (!session) return false;
    const until = this.sessions.get(session);
    if (until === undefined) return false;
    if (until < Date.now()) {
      this.sessions.delete(session);
      return false;
    }
    return true;
  }

  /** A new session id (for the cookie). */
  open(): { id: string; maxAgeSeconds: number } {
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, Date.now() + SESSION_MS);
    return { id, maxAgeSeconds: SESSION_MS / 1000 };
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }
}

/** Constant-time comparison (of digests, so that lengths do not leak either). */
function same(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

/** Whether a host is this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
