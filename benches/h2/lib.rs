//! Criterion benchmarks for viper-h2 live in `benches/`.
