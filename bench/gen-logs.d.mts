// Types for gen-logs.mjs, which the tests import (it stays plain JavaScript so the bench runs without a build).

export interface GeneratorOptions {
  /** Same seed, same lines. */
  seed?: number;
  /** How many distinct client addresses the lines draw from. */
  addresses?: number;
  /** Epoch ms of the first line. */
  start?: number;
}

export type LineGenerator = (count: number, opts?: GeneratorOptions) => Generator<string, void, undefined>;

/** A seeded pseudo-random generator: numbers in [0, 1). */
export function rng(seed: number): () => number;

export const sshdLines: LineGenerator;
export const nginxAccessLines: LineGenerator;
export const nginxErrorLines: LineGenerator;
export const mailLines: LineGenerator;

export type GeneratorName = 'sshd' | 'nginx-access' | 'nginx-error' | 'mail';

export const GENERATORS: Readonly<Record<GeneratorName, LineGenerator>>;

/** Writes `count` lines of `gen` to `path`; resolves when they are flushed. */
export function writeLog(path: string, gen: LineGenerator, count: number, opts?: GeneratorOptions): Promise<void>;
