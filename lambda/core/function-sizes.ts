/**
 * Memory of the functions whose size other figures depend on, chosen from their benchmarks:
 * the serving stack deploys it, and the cost estimate of a prediction (lib/cost/estimate.ts, the
 * local summary's predictions per dollar) bills it.
 */

/**
 * Scoring is microseconds per row and the model is cached; 1,024 MB keeps cold starts short (CPU
 * scales with memory) and 1,000-row batches well under the 10 s timeout.
 */
export const PREDICT_MEMORY_MIB = 1024;
