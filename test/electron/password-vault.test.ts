import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PasswordVault, serverKey, type SafeStorage } from '../../src/main/password-vault.ts';
import { tempFolder } from '../catalog/helpers.ts';

/** A stand-in for Electron's safeStorage: reversible, never the plain text, unavailable on request. */
const sealing = (available = true): SafeStorage => ({
  isEncryptionAvailable: () => available,
  encryptString: (text) => Buffer.from(`sealed:${Buffer.from(text).toString('hex')}`),
  decryptString: (data) => Buffer.from(String(data).slice('sealed:'.length), 'hex').toString(),
});

describe('the desktop app’s password vault', () => {
  it('keeps passwords sealed, keyed by the URL without its password, and forgets them', () => {
    const file = join(tempFolder(), 'data/team-passwords.json');
    const vault = new PasswordVault(file, sealing());
    expect(vault.remember('postgres://ana:typed@lab:5432/pairx?sslmode=verify-full', 's3cret-pw')).toBe(true);
    expect(vault.get('postgres://ana@lab:5432/pairx?sslmode=verify-full')).toBe('s3cret-pw');
    expect(vault.get('postgres://ben@lab:5432/pairx?sslmode=verify-full')).toBeUndefined();
    const stored = readFileSync(file, 'utf8');
    expect(stored).not.toContain('s3cret-pw');
    expect(stored).not.toContain('typed');
    expect(serverKey('postgres://ana:typed@lab:5432/pairx')).toBe('postgres://ana@lab:5432/pairx');
    expect(vault.forget('postgres://ana@lab:5432/pairx?sslmode=verify-full')).toBe(true);
    expect(vault.get('postgres://ana@lab:5432/pairx?sslmode=verify-full')).toBeUndefined();
    expect(vault.forget('postgres://ana@lab:5432/pairx?sslmode=verify-full')).toBe(false);
  });

  it('remembers nothing where the system cannot encrypt', () => {
    const vault = new PasswordVault(join(tempFolder(), 'team-passwords.json'), sealing(false));
    expect(vault.canRemember).toBe(false);
    expect(vault.remember('postgres://ana@lab/pairx', 'pw')).toBe(false);
    expect(vault.get('postgres://ana@lab/pairx')).toBeUndefined();
  });
});
