import { z } from 'zod';

/**
 * The control socket speaks JSON lines: one request object per line, answered
 * by one response line with the same `id`. A `subscribe` request is answered
 * once and then followed by `{"event": …}` lines until the client hangs up.
 */
const id = z.union([z.number().int(), z.string().max(100)]).optional();
const target = z.string().min(1).max(100);
const jail = z.string().regex(/^[\w.\-]+$/, 'a jail name uses letters, digits, "-", "_" and "."').max(100);

export const RequestSchema = z.discriminatedUnion('cmd', [
  z.object({ id, cmd: z.literal('ping') }),
  z.object({ id, cmd: z.literal('status'), jail: jail.optional() }),
  z.object({ id, cmd: z.literal('list'), jail: jail.optional() }),
  z.object({
    id, cmd: z.literal('ban'), ip: target, jail: jail.optional(),
    /** Seconds; -1 is permanent; absent is the jail's bantime. */
    seconds: z.number().int().refine((s) => s === -1 || s > 0, 'seconds must be positive or -1').optional(),
    /** Addresses the caller must never lose (the operator's SSH client). */
    protect: z.array(target).max(16).optional(),
    /** The caller's SSH_CONNECTION, so a refusal can name the connection it would cut. */
    operator: z.string().max(300).optional(),
    /** Ban even the operator's or this host's own address (never a whitelisted one). */
    force: z.boolean().optional(),
  }),
  z.object({
    id, cmd: z.literal('unban'), ip: target, jail: jail.optional(),
    /** Also add the address to the whitelist, in the same step. */
    whitelist: z.boolean().optional(),
  }),
  /** Every ban lifted, or every ban of one jail (fail2ban's `unban --all`). */
  z.object({ id, cmd: z.literal('unban.all'), jail: jail.optional() }),
  z.object({ id, cmd: z.literal('whitelist.add'), entry: target, comment: z.string().max(500).optional() }),
  z.object({ id, cmd: z.literal('whitelist.rm'), entry: target }),
  z.object({ id, cmd: z.literal('whitelist.list') }),
  z.object({ id, cmd: z.literal('reload') }),
  z.object({
    id, cmd: z.literal('import'),
    entries: z.array(z.object({ ip: target, jail: jail.optional(), comment: z.string().max(500).optional() })).max(5_000_000),
    seconds: z.number().int().refine((s) => s === -1 || s > 0).optional(),
  }),
  z.object({ id, cmd: z.literal('export') }),
  z.object({ id, cmd: z.literal('history'), ip: target }),
  /** `operator` (the TUI's SSH_CONNECTION) is protected from bans while the subscription lives. */
  z.object({ id, cmd: z.literal('subscribe'), operator: z.string().max(300).optional() }),
]);
export type Request = z.infer<typeof RequestSchema>;

export const ErrorSchema = z.object({
  message: z.string(),
  hint: z.string().optional(),
  /** "user": the request was refused (bad input, unknown jail); "internal": a bug or a system failure. */
  kind: z.enum(['user', 'internal']),
});

export const ResponseSchema = z.union([
  z.object({ id: id.nullable(), ok: z.literal(true), result: z.unknown() }),
  z.object({ id: id.nullable(), ok: z.literal(false), error: ErrorSchema }),
]);
export type Response = z.infer<typeof ResponseSchema>;

/** Longest request line accepted (an import of a large blocklist is the big one). */
export const MAX_LINE = 256 * 1024 * 1024;
