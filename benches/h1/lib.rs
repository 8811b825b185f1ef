//! Criterion benchmarks for viper-h1 live in `benches/`.
