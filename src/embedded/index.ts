export { EmbeddedPipeline, type EmbeddedPipelineOptions } from './embedded-pipeline.js';
