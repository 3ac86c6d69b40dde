import { describe, expect, it } from 'vitest';
import { checkMediaLink, mediaSignature, signedMediaUrl } from '../../src/graphs/media-link.js';

const KEY = Buffer.from('test-key-not-secret');
const PATH = '/media/graphs/inc-42/cpu.png';

describe('signed media links', () => {
  it('match the reference test vector', () => {
    expect(mediaSignature(KEY, PATH, 1767229200)).toBe('sUcAEjP0LoN5h9NbUqQsRfuYuTCB2jZ51F5_EZ51igw');
  });

  it('are accepted until they expire, then 410; a changed path, expiry or signature is 403', () => {
    const now = 1_767_225_600_000;
    const url = new URL(signedMediaUrl('https://robosre.example.test/', KEY, PATH, now));
    const exp = url.searchParams.get('exp');
    const sig = url.searchParams.get('sig');
    expect(url.pathname).toBe(PATH);
    expect(checkMediaLink(KEY, PATH, exp, sig, now)).toEqual({ ok: true, maxAgeSeconds: 3600 });
    expect(checkMediaLink(KEY, PATH, exp, sig, now + 3_600_000)).toMatchObject({ ok: false, status: 410 });
    expect(checkMediaLink(KEY, '/media/graphs/inc-43/cpu.png', exp, sig, now)).toMatchObject({ ok: false, status: 403 });
    expect(checkMediaLink(KEY, PATH, String(Number(exp) + 1), sig, now)).toMatchObject({ ok: false, status: 403 });
    expect(checkMediaLink(KEY, PATH, exp, `${sig}x`, now)).toMatchObject({ ok: false, status: 403 });
    expect(checkMediaLink(KEY, PATH, exp, undefined, now)).toMatchObject({ ok: false, status: 403 });
    expect(checkMediaLink(Buffer.from('another key'), PATH, exp, sig, now)).toMatchObject({ ok: false, status: 403 });
  });
});
