//! Criterion benchmarks for viper-ws live in `benches/`.
