import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '#lib';
import {
  admissionReview,
  parseAdmissionReview,
  type AdmissionRequest,
  type AdmissionResponse,
} from './review.ts';

/** The oldest TLS version the webhook speaks: TLS 1.0 and 1.1 are refused at the handshake. */
export const MIN_TLS_VERSION = 'TLSv1.2';

const OPERATIONS: ReadonlySet<string> = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
}

/** Where the serving certificate comes from; `load` is called again every reload interval. */
export interface CertificateSource {
  load(): Promise<ServingCertificate>;
}

/** `tls.crt` and `tls.key` in a directory (a mounted Secret); re-read so rotations take effect. */
export function certificateFiles(dir: string, certName = 'tls.crt', keyName = 'tls.key'): CertificateSource {
  return {
    async load() {
      const [certPem, keyPem] = await Promise.all([
        readFile(path.join(dir, certName), 'utf8'),
        readFile(path.join(dir, keyName), 'utf8'),
      ]);
      return { certPem, keyPem };
    },
  };
}

export interface WebhookServerOptions {
  port: number;
  host?: string;
  certificate: CertificateSource;
  /** Re-read the certificate this often (default 10 s; 0: never). */
  reloadIntervalMs?: number;
  /** Largest accepted body (default 6 MiB: an UPDATE of a worst-case group carries it twice). */
  maxBodyBytes?: number;
  /** A request that takes longer is answered 408 (default 10 s). */
  timeoutMs?: number;
  /**
   * Verify callers: only a TLS client certificate signed by `caPem` completes the handshake (the
   * certificate kube-apiserver presents, per its AdmissionConfiguration), and when `allowedNames` is
   * given, only one whose common name or DNS name is listed is served.
   */
  clientAuth?: { caPem: string; allowedNames?: readonly string[] };
  /** Judges one admission request; may look things up. */
  review(request: AdmissionRequest): Promise<AdmissionResponse>;
  log: Logger;
  onReviewed?(
    operation: string,
    result: 'allowed' | 'denied' | 'bad_request' | 'error',
    seconds: number,
  ): void;
}

/**
 * The HTTPS server of the validating webhook: POST /validate with an AdmissionReview v1. Malformed
 * bodies get 400, oversized ones 413, slow ones 408; the process never crashes on input.
 */
export class WebhookServer {
  readonly #o: WebhookServerOptions;
  #server: https.Server | undefined;
  #current = '';
  #reload: NodeJS.Timeout | undefined;

  constructor(options: WebhookServerOptions) {
    this.#o = options;
  }

  get port(): number {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? address.port : this.#o.port;
  }

  get listening(): boolean {
    return this.#server?.listening ?? false;
  }

  async start(): Promise<void> {
    const cert = await this.#o.certificate.load();
    this.#current = cert.certPem + cert.keyPem;
    const timeoutMs = this.#o.timeoutMs ?? 10_000;
    const clientAuth = this.#o.clientAuth;
    const server = https.createServer(
      {
        cert: cert.certPem,
        key: cert.keyPem,
        minVersion: MIN_TLS_VERSION,
        ...(clientAuth ? { ca: clientAuth.caPem, requestCert: true, rejectUnauthorized: true } : {}),
        requestTimeout: timeoutMs,
        headersTimeout: Math.min(timeoutMs, 10_000),
      },
      (req, res) => void this.#handle(req, res),
    );
    server.on('tlsClientError', (err) => this.#o.log.debug({ err }, 'webhook TLS handshake failed'));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#o.port, this.#o.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const interval = this.#o.reloadIntervalMs ?? 10_000;
    if (interval > 0) {
      this.#reload = setInterval(() => void this.reloadCertificate(), interval);
      this.#reload.unref();
    }
    this.#o.log.info({ port: this.port }, 'webhook listening');
  }

  /** Re-reads the certificate and swaps it in when it changed; new connections use it. */
  async reloadCertificate(): Promise<boolean> {
    try {
      const cert = await this.#o.certificate.load();
      if (cert.certPem + cert.keyPem === this.#current) return false;
      this.#server?.setSecureContext({
        cert: cert.certPem,
        key: cert.keyPem,
        minVersion: MIN_TLS_VERSION,
        ...(this.#o.clientAuth ? { ca: this.#o.clientAuth.caPem } : {}),
      });
      this.#current = cert.certPem + cert.keyPem;
      this.#o.log.info('webhook serving certificate reloaded');
      return true;
    } catch (err) {
      this.#o.log.warn({ err }, 'webhook certificate reload failed; keeping the current one');
      return false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#reload);
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const send = (status: number, body: unknown) => {
      if (res.headersSent) return;
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    const seconds = () => (performance.now() - started) / 1000;
    const allowed = this.#o.clientAuth?.allowedNames;
    if (allowed && allowed.length > 0 && !callerNamed(req, allowed)) {
      send(403, { error: 'this client certificate is not one the webhook serves' });
      req.resume();
      return;
    }
    if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/validate') {
      send(404, { error: 'POST an AdmissionReview to /validate' });
      req.resume();
      return;
    }
    const max = this.#o.maxBodyBytes ?? 6 * 1024 * 1024;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) {
      send(413, { error: `the body is larger than ${max} bytes` });
      req.destroy();
      this.#o.onReviewed?.('unknown', 'bad_request', seconds());
      return;
    }
    let body: Buffer;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > max) {
          send(413, { error: `the body is larger than ${max} bytes` });
          req.destroy();
          this.#o.onReviewed?.('unknown', 'bad_request', seconds());
          return;
        }
        chunks.push(chunk);
      }
      body = Buffer.concat(chunks);
    } catch (err) {
      this.#o.log.debug({ err }, 'webhook request aborted');
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      send(400, { error: 'the body is not JSON' });
      this.#o.onReviewed?.('unknown', 'bad_request', seconds());
      return;
    }
    const request = parseAdmissionReview(parsed);
    if (typeof request === 'string') {
      send(400, { error: `not an AdmissionReview v1: ${request}` });
      this.#o.onReviewed?.('unknown', 'bad_request', seconds());
      return;
    }
    // A metric label: only the operations Kubernetes sends, so a caller cannot mint label values.
    const operation = OPERATIONS.has(request.operation as string) ? (request.operation as string) : 'unknown';
    try {
      const response = await this.#o.review(request);
      send(200, admissionReview(response));
      this.#o.onReviewed?.(operation, response.allowed ? 'allowed' : 'denied', seconds());
    } catch (err) {
      this.#o.log.error({ err, operation }, 'webhook review failed');
      send(500, { error: 'the review failed; see the operator log' });
      this.#o.onReviewed?.(operation, 'error', seconds());
    }
  }
}

/** Whether the verified client certificate's common name or one of its DNS names is allowed. */
function callerNamed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const cert = (req.socket as TLSSocket).getPeerCertificate?.();
  if (!cert || !cert.subject) return false;
  const names = [
    ...[cert.subject.CN].flat(),
    ...(cert.subjectaltname ?? '')
      .split(', ')
      .filter((n) => n.startsWith('DNS:'))
      .map((n) => n.slice(4)),
  ];
  return names.some((n) => n !== undefined && allowed.includes(n));
}
