/**
 * A throwaway self-signed TLS certificate, made at test time with the
 * `openssl` command (Node cannot make X.509 certificates).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificate {
  /** PEM private key. */
  readonly key: string;
  /** PEM certificate, also usable as its own trust anchor. */
  readonly cert: string;
}

/** A self-signed certificate for `hostName` (and 127.0.0.1), valid for two days. */
export function makeTestCertificate(hostName: string): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), "lwp-cert-"));
  try {
    const keyFile = join(dir, "key.pem");
    const certFile = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        keyFile,
        "-out",
        certFile,
        "-days",
        "2",
        "-subj",
        `/CN=${hostName}`,
        "-addext",
        `subjectAltName=DNS:${hostName},IP:127.0.0.1`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
