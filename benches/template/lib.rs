//! Criterion benchmarks for viper-template live in `benches/`.
