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

/**
 * The drift step holds one Logs Insights result row and the model: 256 MB is plenty, and it bills
 * for the seconds it waits on the query. Its timeout bounds the wait (a query may run up to 60 minutes).
 */
export const DRIFT_MEMORY_MIB = 256;
export const DRIFT_TIMEOUT_SECONDS = 300;
