/** Every workflow the visionflow worker registers. */
export { captureCamera } from './capture-camera';
export { captureCameraOnce } from './capture-camera-once';
export { captureCameras } from './capture-cameras';
export { reduceCvatTask } from './reduce-cvat-task';
export { downloadLabelStudioExport } from './download-label-studio-export';
export { rekognitionModelLease } from './rekognition-model-lease';
export { trainCustomLabelsModel } from './train-custom-labels-model';
export { detectLogosInVideo, extractVideoFrames } from './detect-logos-in-video';
export { trainBlurModel } from './train-blur-model';
export { predictBlur } from './predict-blur';
