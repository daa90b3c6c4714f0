import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isStorageError } from '../../src/store/storage-error.js';

describe('isStorageError', () => {
  it('takes disk and file failures, and leaves bantop\'s own SQL mistakes to be thrown as bugs', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
    db.prepare('INSERT INTO t VALUES (?)').run('a');
    const errorOf = (fn: () => unknown) => { try { fn(); } catch (e) { return e; } return null; };
    expect(isStorageError(errorOf(() => db.prepare('INSERT INTO t VALUES (?)').run('a')))).toBe(false); // SQLITE_CONSTRAINT
    expect(isStorageError(errorOf(() => db.prepare('SELECT nope FROM t')))).toBe(false); // SQLITE_ERROR
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const io = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' });
    expect(isStorageError(full)).toBe(true);
    expect(isStorageError(io)).toBe(true);
    expect(isStorageError(new Error('x'))).toBe(false);
    db.close();
  });
});
