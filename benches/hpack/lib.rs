//! Criterion benchmarks for viper-hpack live in `benches/`.
