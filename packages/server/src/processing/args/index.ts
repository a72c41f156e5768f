export { GLOBAL_ARGS, seconds } from './common.js';
export { type CompositeArgsInput, compositeArgs, compositeFilterGraph } from './composite.js';
export { type ParticipantArgsInput, type ParticipantSource, participantArgs } from './participant.js';
export { remuxArgs } from './remux.js';
export {
  THUMBNAIL_POSITIONS,
  THUMBNAIL_WIDTH,
  type ThumbnailShot,
  thumbnailArgs,
  thumbnailHeight,
  thumbnailTimes,
} from './thumbnails.js';
