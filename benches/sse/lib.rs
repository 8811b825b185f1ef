//! Criterion benchmarks for viper-sse live in `benches/`.
