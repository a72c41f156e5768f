export * from '@callrec/sdk/protocol';
export { type CallrecApp, type CreateAppOptions, createApp } from './app.js';
export { UrlSigner } from './auth/signed-url.js';
export {
  type MintTokenOptions,
  mintToken,
  type TokenPayload,
  type TokenScope,
  verifyToken,
} from './auth/tokens.js';
export { CONFIG_DEFAULTS, ConfigError, loadConfig, type ServerConfig } from './config.js';
export { ApiError } from './errors.js';
export type { AppEnv } from './http/auth.js';
export { type ListenOptions, listen } from './listen.js';
export type { Logger } from './logger.js';
export type { ProcessingJob, ProcessingResult } from './processing/job.js';
export type { AbandonedUpload, AbandonedUploadSweeper } from './recording/abandoned-uploads.js';
export type { EventOf, RecordingEvents } from './recording/events.js';
export type { ProcessRecording } from './recording/processor.js';
export type { RecordingService } from './recording/service.js';
export type { RecordingState, StoredEvent, TrackState } from './state/recording-state.js';
export { createStorage, LocalStore, type StorageFactory } from './storage/index.js';
export type { CreatedUpload, RecordingStorage, SignedPartUrl, StoredPart } from './storage/storage.js';
