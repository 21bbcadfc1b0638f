/**
 * The reconciler's V8 heap cap, set as NODE_OPTIONS on the function and used by `npm run bench`
 * (no CDK import here, so the benchmark loads it cheaply).
 *
 * A run over 10,000 keys (API Gateway's limit per region) keeps about 50 MB live. Without a cap, V8
 * sizes its heap from the function's memory (1024 MB, chosen for CPU) and lets garbage from ~28,000
 * SDK calls pile up before collecting: 283 MB peak RSS in the benchmark. Capped, the same run peaks
 * at 162 MB, at the same speed (wave at 1.00x its quota floor); the cap leaves three times the live set.
 */
export const RECONCILER_HEAP_MB = 160;

export const RECONCILER_NODE_OPTIONS = `--max-old-space-size=${RECONCILER_HEAP_MB}`;
