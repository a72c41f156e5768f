export { outputCodecsProblem } from './codecs.js';
export * from './job.js';
export {
  type ProcessingOptions,
  type ProcessingStep,
  processRecording,
  type StepTiming,
} from './pipeline.js';
