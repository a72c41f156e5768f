import type {
  AddPauseRequest,
  CleanupRequest,
  CompleteTrackRequest,
  CreateRecordingRequest,
  FailTrackRequest,
  RegisterTrackRequest,
  SignPartsRequest,
  StopRecordingRequest,
} from '@callrec/sdk/protocol';
import {
  MAX_TIMING_SHIFT_MS,
  MAX_TIMING_STEPS,
  PARTICIPANT_ID_PATTERN,
  S3_MAX_PARTS,
} from '@callrec/sdk/protocol';
import type { Context } from 'hono';
import { z } from 'zod';
import { COMPOSITE_LAYOUTS, COMPOSITE_LIMITS } from '../config.js';
import { ApiError } from '../errors.js';

// Each schema `satisfies` its protocol type, so a protocol change the server misses fails tsc.

const time = z.number().nonnegative();
const partNumber = z.number().int().min(1).max(S3_MAX_PARTS);
const text = (max: number) => z.string().max(max);
const uniqueNumbers = (ns: number[]) => new Set(ns).size === ns.length;

const evenSize = ({ min, max }: { min: number; max: number }) =>
  z.number().int().min(min).max(max).multipleOf(2, 'must be even');

/** Format/codec compatibility needs the server's defaults, so the service checks it (`unsupported_codecs`). */
export const createRecordingSchema = z.object({
  roomId: text(200).min(1),
  format: z.enum(['webm', 'mp4']).optional(),
  videoCodec: z.enum(['vp8', 'vp9', 'h264']).optional(),
  audioCodec: z.enum(['opus', 'aac']).optional(),
  layout: z.enum(COMPOSITE_LAYOUTS).optional(),
  labels: z.boolean().optional(),
  width: evenSize(COMPOSITE_LIMITS.width).optional(),
  height: evenSize(COMPOSITE_LIMITS.height).optional(),
  fps: z.number().int().min(COMPOSITE_LIMITS.fps.min).max(COMPOSITE_LIMITS.fps.max).optional(),
}) satisfies z.ZodType<CreateRecordingRequest>;

export const registerTrackSchema = z.object({
  participantId: z.string().regex(PARTICIPANT_ID_PATTERN),
  displayName: text(200),
  kind: z.enum(['audio', 'video']),
  mimeType: text(200).regex(/^(audio|video)\/[a-z0-9.+-]+(;[ -~]*)?$/i),
  startedAt: time,
  clock: z.object({ offsetMs: z.number(), rttMs: z.number().nonnegative() }).optional(),
}) satisfies z.ZodType<RegisterTrackRequest>;

export const signPartsSchema = z.object({
  partNumbers: z.array(partNumber).min(1).max(100).refine(uniqueNumbers, 'Part numbers must be unique'),
}) satisfies z.ZodType<SignPartsRequest>;

const timingStep = z.object({
  atMs: z.number().nonnegative().finite(),
  shiftMs: z.number().min(-MAX_TIMING_SHIFT_MS).max(MAX_TIMING_SHIFT_MS),
});
const ascending = (steps: { atMs: number }[]) =>
  steps.every((s, i) => i === 0 || s.atMs >= (steps[i - 1]?.atMs ?? 0));

export const completeTrackSchema = z.object({
  parts: z
    .array(z.object({ partNumber, etag: text(200).min(1) }))
    .min(1)
    .max(S3_MAX_PARTS)
    .refine((ps) => uniqueNumbers(ps.map((p) => p.partNumber)), 'Part numbers must be unique'),
  bytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  endedAt: time,
  timing: z.array(timingStep).max(MAX_TIMING_STEPS).refine(ascending, 'atMs must be ascending').optional(),
}) satisfies z.ZodType<CompleteTrackRequest>;

export const failTrackSchema = z.object({
  code: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'snake_case, at most 64 characters'),
  message: text(2000),
}) satisfies z.ZodType<FailTrackRequest>;

export const stopRecordingSchema = z.object({
  stoppedAt: time.optional(),
}) satisfies z.ZodType<StopRecordingRequest>;

export const addPauseSchema = z.object({ from: time, to: time }).refine(({ from, to }) => to > from, {
  message: 'to must be after from',
  path: ['to'],
}) satisfies z.ZodType<AddPauseRequest>;

export const cleanupSchema = z.object({
  olderThanMs: z.number().int().nonnegative(),
}) satisfies z.ZodType<CleanupRequest>;

/**
 * Parses the JSON body against `schema`: 400 `invalid_body` for malformed JSON (or an empty body
 * unless `emptyIsObject`) and for schema failures, with the zod issues as details.
 */
export async function readBody<T>(
  c: Context,
  schema: z.ZodType<T>,
  options: { emptyIsObject?: boolean } = {},
) {
  const raw = await c.req.text();
  let value: unknown = {};
  if (raw.trim() !== '' || !options.emptyIsObject) {
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new ApiError(400, 'invalid_body', `Body is not valid JSON: ${(err as Error).message}`);
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map(({ code, path, message }) => ({
      code,
      path: path.join('.'),
      message,
    }));
    throw new ApiError(400, 'invalid_body', 'Body does not match the expected shape', issues);
  }
  return result.data;
}
