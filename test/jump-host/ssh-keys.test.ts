import { MIN_RSA_BITS, parseSshPublicKey } from '../../constructs/jump-host';
import { KEYS } from './support';

describe('parseSshPublicKey', () => {
  test.each([
    [KEYS.ed25519, 'ssh-ed25519', 256],
    [KEYS.ecdsa256, 'ecdsa-sha2-nistp256', 256],
    [KEYS.ecdsa384, 'ecdsa-sha2-nistp384', 384],
    [KEYS.rsa3072, 'ssh-rsa', 3072],
  ])('reads the type and size of %s', (line, type, bits) => {
    const result = parseSshPublicKey(line);
    expect(result).toEqual({ ok: true, key: expect.objectContaining({ type, bits, line }) });
  });

  test('normalises surrounding and repeated spaces to the canonical line', () => {
    const [type, blob, comment] = KEYS.ed25519.split(' ');
    expect(parseSshPublicKey(`  ${type}  ${blob}   ${comment} `)).toEqual({
      ok: true,
      key: expect.objectContaining({ line: KEYS.ed25519 }),
    });
  });

  test(`refuses RSA under ${MIN_RSA_BITS} bits, naming the size`, () => {
    expect(parseSshPublicKey(KEYS.rsa2048)).toEqual({
      ok: false,
      error: expect.stringMatching(/^is an RSA key of 2048 bits; RSA keys need at least 3072 bits/),
    });
  });

  test('refuses an ECDSA key whose blob names another curve', () => {
    const p384Blob = KEYS.ecdsa384.split(' ')[1];
    expect(parseSshPublicKey(`ecdsa-sha2-nistp256 ${p384Blob}`)).toEqual({
      ok: false,
      error: expect.stringMatching(/is labelled 'ecdsa-sha2-nistp256' but its key data is 'ecdsa-sha2-nistp384'/),
    });
  });
});
