/**
 * OpenSSH public key lines as the customer hands them over (`ssh-ed25519 AAAA... comment`),
 * checked by decoding the key blob, not only by its look: the type inside the blob must match the
 * type named on the line, ECDSA keys must be on the named curve and RSA keys must have a modulus of
 * at least 3072 bits. Options (`from=`, `command=`, ...) are refused: the jump host writes its own
 * restrictions in front of every key.
 */

/** Smallest RSA modulus accepted (NIST SP 800-57: 3072 bits for security beyond 2030). */
export const MIN_RSA_BITS = 3072;

/** Key types accepted on a line, with the curve an ECDSA key must carry. */
const KEY_TYPES: Record<string, { kind: 'ed25519' | 'ecdsa' | 'rsa'; curve?: string; pointLength?: number }> = {
  'ssh-ed25519': { kind: 'ed25519' },
  'ecdsa-sha2-nistp256': { kind: 'ecdsa', curve: 'nistp256', pointLength: 65 },
  'ecdsa-sha2-nistp384': { kind: 'ecdsa', curve: 'nistp384', pointLength: 97 },
  'ecdsa-sha2-nistp521': { kind: 'ecdsa', curve: 'nistp521', pointLength: 133 },
  'ssh-rsa': { kind: 'rsa' },
};

export interface ParsedSshKey {
  readonly type: string;
  /** Base64 key blob, as on the line. */
  readonly blob: string;
  readonly comment?: string;
  /** Modulus size for RSA, curve size for ECDSA, 256 for ed25519. */
  readonly bits: number;
  /** The key line in canonical form: `type blob [comment]`. */
  readonly line: string;
}

export type SshKeyResult = { ok: true; key: ParsedSshKey } | { ok: false; error: string };

/** Reads SSH wire-format fields (RFC 4251 `string` and `mpint`) from a key blob. */
class BlobReader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  bytes(): Buffer | undefined {
    if (this.offset + 4 > this.buf.length) return undefined;
    const length = this.buf.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (start + length > this.buf.length) return undefined;
    this.offset = start + length;
    return this.buf.subarray(start, start + length);
  }

  get done(): boolean {
    return this.offset === this.buf.length;
  }
}

function bitLength(mpint: Buffer): number {
  let i = 0;
  while (i < mpint.length && mpint[i] === 0) i++;
  if (i === mpint.length) return 0;
  return (mpint.length - i - 1) * 8 + (32 - Math.clz32(mpint[i]));
}

function unacceptedTypeReason(first: string): string {
  if (/[=,"]/.test(first) || /^(restrict|no-[a-z-]+|permit[a-z-]*|cert-authority|pty|port-forwarding)$/.test(first)) {
    return (
      'starts with authorized_keys options; options such as from= or command= are not ' +
      'accepted (the jump host adds its own restrictions to every key)'
    );
  }
  if (first === 'ssh-dss') return 'is a DSA key, which OpenSSH no longer accepts';
  if (first.startsWith('sk-') || first.includes('-cert-'))
    return `is of type '${first}' (security-key and certificate keys are not supported)`;
  return 'does not start with an accepted key type';
}

/**
 * Parses one public key line. Errors say what is wrong and how to fix it; they never repeat the
 * whole key (the caller shows a truncated value).
 */
export function parseSshPublicKey(value: string): SshKeyResult {
  if (/[\r\n]/.test(value)) {
    return { ok: false, error: 'contains a line break; give exactly one key per list entry' };
  }
  const fields = value.trim().split(/ +/);
  const [type, blob, ...rest] = fields;
  const spec = KEY_TYPES[type];
  if (!spec) {
    return {
      ok: false,
      error:
        `${unacceptedTypeReason(type)}; give an OpenSSH public key line starting with ` +
        `ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa (3072 bits or more), e.g. ` +
        `the content of ~/.ssh/id_ed25519.pub`,
    };
  }
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) {
    return { ok: false, error: `has no valid base64 key after '${type}'; copy the whole line of the .pub file` };
  }
  const comment = rest.join(' ');
  if (comment && !/^[^\s"]{1,100}$/.test(comment)) {
    return {
      ok: false,
      error: 'has a comment with spaces, quotes or more than 100 characters; use one word such as "alice@example.org" or no comment',
    };
  }
  const reader = new BlobReader(Buffer.from(blob, 'base64'));
  const innerType = reader.bytes()?.toString('latin1');
  if (innerType !== type) {
    return {
      ok: false,
      error:
        `is labelled '${type}' but its key data is ` +
        `${innerType ? `'${innerType.slice(0, 30)}'` : 'not an SSH public key'}; copy ` +
        `the whole line of the .pub file unchanged`,
    };
  }
  let bits: number;
  if (spec.kind === 'ed25519') {
    const pk = reader.bytes();
    if (!pk || pk.length !== 32)
      return { ok: false, error: 'is not a valid ed25519 key (the public key must be 32 bytes); copy the whole line of the .pub file' };
    bits = 256;
  } else if (spec.kind === 'ecdsa') {
    const curve = reader.bytes()?.toString('latin1');
    const point = reader.bytes();
    if (curve !== spec.curve || !point || point.length !== spec.pointLength || point[0] !== 0x04) {
      return { ok: false, error: `is not a valid ${type} key (curve or point malformed); copy the whole line of the .pub file` };
    }
    bits = Number(spec.curve!.replace('nistp', ''));
  } else {
    const exponent = reader.bytes();
    const modulus = reader.bytes();
    if (!exponent || !modulus || bitLength(exponent) === 0) {
      return { ok: false, error: 'is not a valid RSA key; copy the whole line of the .pub file' };
    }
    bits = bitLength(modulus);
    if (bits < MIN_RSA_BITS) {
      return {
        ok: false,
        error:
          `is an RSA key of ${bits} bits; RSA keys need at least ${MIN_RSA_BITS} bits: ` +
          `generate a new key with "ssh-keygen -t ed25519" (preferred) or "ssh-keygen -t ` +
          `rsa -b 4096"`,
      };
    }
  }
  if (!reader.done) {
    return { ok: false, error: `has trailing data after the ${type} key; copy the whole line of the .pub file unchanged` };
  }
  return {
    ok: true,
    key: { type, blob, comment: comment || undefined, bits, line: comment ? `${type} ${blob} ${comment}` : `${type} ${blob}` },
  };
}
