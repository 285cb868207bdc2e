import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The desktop app's team-store passwords, encrypted with Electron's safeStorage (the operating system's
 * keychain, DPAPI or libsecret key) in one file of the app's own data folder, keyed by the server's URL
 * without a password. Never in a catalog, never in plain text: where safeStorage cannot encrypt (Linux
 * without a keyring), nothing is remembered and the app asks each time.
 */
export interface SafeStorage {
  isEncryptionAvailable(): boolean;
  encryptString(text: string): Buffer;
  decryptString(data: Buffer): string;
}

/** A URL as the vault keys it: the password (if any) left out. */
export function serverKey(url: string): string {
  try {
    const parsed = new URL(url.trim());
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.trim();
  }
}

export class PasswordVault {
  constructor(
    private readonly file: string,
    private readonly safeStorage: SafeStorage,
  ) {}

  private read(): Record<string, string> {
    if (!existsSync(this.file)) return {};
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>;
    } catch {
      return {}; // a damaged file forgets its passwords; the app asks again
    }
  }

  private write(entries: Record<string, string>): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(entries, null, 2), { mode: 0o600 });
    renameSync(temporary, this.file);
  }

  get canRemember(): boolean {
    return this.safeStorage.isEncryptionAvailable();
  }

  get(url: string): string | undefined {
    const sealed = this.read()[serverKey(url)];
    if (sealed === undefined || !this.canRemember) return undefined;
    try {
      return this.safeStorage.decryptString(Buffer.from(sealed, 'base64'));
    } catch {
      return undefined; // sealed by another user or machine
    }
  }

  /** Keeps the password encrypted; false where this system cannot encrypt it. */
  remember(url: string, password: string): boolean {
    if (!this.canRemember) return false;
    this.write({ ...this.read(), [serverKey(url)]: this.safeStorage.encryptString(password).toString('base64') });
    return true;
  }

  forget(url: string): boolean {
    const entries = this.read();
    const key = serverKey(url);
    if (!(key in entries)) return false;
    delete entries[key];
    this.write(entries);
    return true;
  }
}
