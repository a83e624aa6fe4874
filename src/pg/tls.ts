// TLS for the Postgres endpoint. serve.pg.tls's certificate chain and key are read and checked
// once, before the endpoint listens (a missing or unreadable file, a key that is not the
// certificate's: one CONFIG error naming the file). A client's socket is then upgraded in place,
// as PostgreSQL does ("SSL Session Encryption" in its protocol chapter): after an SSLRequest
// answered 'S', or at once when its first bytes are a TLS ClientHello (PostgreSQL 17's direct SSL,
// which must name the ALPN protocol "postgresql"). TLS 1.2 at least.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { StrataError } from '../core/index.js';

/** The ALPN protocol of PostgreSQL (registered with IANA for direct SSL). */
export const PG_ALPN = 'postgresql';

/** serve.pg.tls, loaded. */
export interface PgTls {
  context: SecureContext;
  /** Plain connections are refused (28000). */
  required: boolean;
}

export interface PgTlsSettings {
  cert: string;
  key: string;
  required?: boolean;
}

/** Reads and checks serve.pg.tls's files (paths relative to `projectDir`); a CONFIG error naming the file. */
export function loadPgTls(projectDir: string, settings: PgTlsSettings): PgTls {
  const certFile = path.resolve(projectDir, settings.cert);
  const keyFile = path.resolve(projectDir, settings.key);
  const cert = readPem('cert', certFile);
  const key = readPem('key', keyFile);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (err) {
    throw problem('cert', certFile, `is not a PEM certificate (${reason(err)})`, err);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw problem('key', keyFile, `is not a PEM private key without a passphrase (${reason(err)})`, err);
  }
  if (!certificate.checkPrivateKey(privateKey))
    throw problem('key', keyFile, `is not the private key of the certificate in ${certFile} (${certificate.subject})`);
  let context: SecureContext;
  try {
    context = createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (err) {
    throw problem('cert', certFile, `could not be used with ${keyFile} (${reason(err)})`, err);
  }
  return { context, required: settings.required ?? false };
}

/**
 * The client's socket upgraded to TLS, the server's side. `hello`: bytes already read from the
 * socket that belong to the handshake (a direct ClientHello), handed to TLS first.
 */
export function upgradeToTls(socket: Socket, tls: PgTls, hello?: Buffer): TLSSocket {
  // Paused, so that nothing more is read as plain bytes; what is buffered (the hello) is read by TLS.
  socket.pause();
  if (hello && hello.length > 0) socket.unshift(hello);
  return new TLSSocket(socket, { isServer: true, secureContext: tls.context, ALPNProtocols: [PG_ALPN] });
}

function readPem(field: 'cert' | 'key', file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : code === 'EISDIR'
            ? 'is a folder, not a file'
            : `cannot be read (${code ?? String(err)})`;
    throw problem(field, file, why, err);
  }
}

function problem(field: 'cert' | 'key', file: string, why: string, cause?: unknown): StrataError {
  return new StrataError('CONFIG', `serve.pg.tls.${field}: ${file} ${why}`, { cause, context: { file } });
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
