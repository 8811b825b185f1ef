//! Criterion benchmarks for viper-router live in `benches/`.
