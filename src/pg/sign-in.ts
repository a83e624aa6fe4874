// Signing in to the endpoint: SCRAM-SHA-256 as the only method (scram.ts is the exchange itself),
// step by step over a connection's SASL messages, and the parameter statuses a client is sent once
// signed in. An unknown user goes through the same exchange as a wrong password and fails the
// same way, after the same delay.
import * as m from './protocol.js';
import { ScramExchange, SCRAM, type ScramKeys } from './scram.js';

const WRONG_PASSWORD_DELAY_MS = 500;

/** What a client's SASL message leads to: a message to send and wait, a FATAL error, or signed in. */
export type SignInStep =
  | { kind: 'continue'; message: Buffer }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'done'; message: Buffer };

/** One user's sign-in: the mechanism offered, then the client's first and final SCRAM messages. */
export class ScramSignIn {
  private readonly scram: ScramExchange;
  /** The client's first SCRAM message has been answered (the next one is its final message). */
  private started = false;

  constructor(
    private readonly user: string,
    private readonly users: Map<string, ScramKeys>,
  ) {
    const keys = users.get(user);
    // An unknown user goes through the same exchange as a wrong password (with made-up keys), so
    // that the answer does not tell which users exist.
    this.scram = new ScramExchange(keys ?? unknownUserKeys);
  }

  /** AuthenticationSASL: the mechanisms offered. */
  offer(): Buffer {
    return m.authSasl([SCRAM]);
  }

  /** The next SASL message from the client. */
  async step(msg: m.FrontendMessage): Promise<SignInStep> {
    const failed = (code: string, message: string): SignInStep => ({ kind: 'failed', code, message });
    if (msg.type !== 'p') return failed('08P01', `expected a SASL response, got a message of type ${msg.type}`);
    const body = new m.BodyReader(msg.body);
    const known = this.users.has(this.user);
    if (!this.started) {
      const mechanism = body.string();
      if (mechanism !== SCRAM) return failed('28000', `authentication method ${mechanism} is not supported`);
      const length = body.int32();
      const first = this.scram.first(body.bytes(length).toString('utf8'));
      if (!first) return failed('08P01', 'malformed SCRAM message');
      this.started = true;
      return { kind: 'continue', message: m.authSaslContinue(first) };
    }
    const final = this.scram.final(body.rest().toString('utf8'));
    if (!final || !known) {
      await new Promise((r) => setTimeout(r, WRONG_PASSWORD_DELAY_MS));
      return failed('28P01', `password authentication failed for user "${this.user}"`);
    }
    return { kind: 'done', message: m.authSaslFinal(final) };
  }
}

/** The parameter statuses a client is sent once signed in (SHOW and current_setting read them too). */
export function parameterStatuses(
  server: { serverVersion: string; timeZone: string },
  user: string,
  applicationName: string,
): Record<string, string> {
  return {
    server_version: server.serverVersion,
    server_encoding: 'UTF8',
    client_encoding: 'UTF8',
    DateStyle: 'ISO, MDY',
    TimeZone: server.timeZone,
    integer_datetimes: 'on',
    standard_conforming_strings: 'on',
    IntervalStyle: 'postgres',
    is_superuser: 'off',
    session_authorization: user,
    application_name: applicationName,
    default_transaction_read_only: 'on',
    in_hot_standby: 'off',
  };
}

/** Keys for a user that does not exist: the exchange fails like a wrong password. */
const unknownUserKeys: ScramKeys = {
  salt: Buffer.from('strata-unknown-user'),
  iterations: 4096,
  storedKey: Buffer.alloc(32),
  serverKey: Buffer.alloc(32),
};
